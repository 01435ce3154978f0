"""Small ``make_<noun>()`` builders for test data: keyword defaults, flush only.

Geometries are shapely objects in EPSG:4490 (lon/lat); defaults sit in 海州区, 连云港
(around lon 119.2, lat 34.6). Polygons are wrapped into MultiPolygons where the column needs it.
Codes default to unique values, so a test only names what it checks.
"""

from __future__ import annotations

import io
import itertools
from datetime import date

from geoalchemy2.shape import from_shape
from PIL import ExifTags, Image
from shapely import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from gis.models import (
    Building,
    Event,
    Facility,
    Grid,
    GridWorker,
    GridWorkerGrid,
    Household,
    Region,
    Resident,
)

STORAGE_SRID = 4490
DISTRICT = "320706000000"
SUBDISTRICT = "320706013000"
_seq = itertools.count(1)


def square(lon: float = 119.20, lat: float = 34.60, size: float = 0.01) -> Polygon:
    """An axis-aligned square (degrees) with its south-west corner at ``lon, lat``."""
    return box(lon, lat, lon + size, lat + size)


def _ewkb(geom: BaseGeometry, *, multi: bool = False):  # type: ignore[no-untyped-def]
    if multi and isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return from_shape(geom, srid=STORAGE_SRID)


def _add(session: Session, obj: object) -> object:
    session.add(obj)
    session.flush()
    return obj


def make_region(session: Session, *, code: str | None = None, name: str | None = None,
                level: str = "community", parent_code: str | None = None,
                geom: BaseGeometry | None = None) -> Region:
    """A region; the default is a community with a fresh 12-digit code and no parent."""
    n = next(_seq)
    code = code or f"3207069{n:05d}"
    region = Region(code=code, name=name or f"测试社区{n}", level=level,
                    parent_code=parent_code,
                    geom=_ewkb(geom or square(size=0.05), multi=True))
    return _add(session, region)  # type: ignore[return-value]


def make_grid(session: Session, *, code: str | None = None, name: str | None = None,
              theme: str = "unified", kind: str = "residential",
              community_code: str | None = None, geom: BaseGeometry | None = None,
              locked: bool = False) -> Grid:
    """A current grid (valid_to null)."""
    n = next(_seq)
    grid = Grid(code=code or f"G{n:05d}", name=name or f"第{n}网格", theme=theme, kind=kind,
                community_code=community_code, locked=locked,
                geom=_ewkb(geom or square(), multi=True))
    return _add(session, grid)  # type: ignore[return-value]


def make_building(session: Session, *, code: str | None = None, address: str | None = None,
                  geom: BaseGeometry | None = None, households: int = 0, residents: int = 0,
                  floors: int | None = 6, compound: str | None = None,
                  use: str = "residential", community_code: str | None = None,
                  grid: Grid | None = None) -> Building:
    """A building; ``grid`` sets its (unified) grid_id as assignment would."""
    n = next(_seq)
    building = Building(code=code or f"B{n:06d}", address=address or f"海州区测试路{n}号",
                        compound=compound, floors=floors, households=households,
                        residents=residents, use=use, community_code=community_code,
                        grid_id=grid.id if grid is not None else None,
                        geom=_ewkb(geom or square(119.201, 34.601, 0.0005), multi=True))
    return _add(session, building)  # type: ignore[return-value]


def make_facility(session: Session, *, code: str | None = None, name: str | None = None,
                  type: str = "clinic", level: str | None = "community",
                  capacity: int | None = None, opening_hours: str | None = None,
                  address: str | None = None, phone: str | None = None,
                  community_code: str | None = None,
                  geom: BaseGeometry | None = None) -> Facility:
    """A facility; the default geometry is a point."""
    n = next(_seq)
    facility = Facility(code=code or f"F{n:05d}", name=name or f"测试设施{n}", type=type,
                        level=level, capacity=capacity, opening_hours=opening_hours,
                        address=address, phone=phone, community_code=community_code,
                        geom=_ewkb(geom or Point(119.205, 34.605)))
    return _add(session, facility)  # type: ignore[return-value]


def make_worker(session: Session, *, code: str | None = None, name: str = "张网格",
                role: str = "full_time", phone: str | None = "13900001111",
                duties: str | None = "巡查走访", supervision_phone: str | None = "0518-12345",
                grids: list[Grid] | tuple[Grid, ...] = (), is_primary: bool = True
                ) -> GridWorker:
    """A grid worker serving ``grids`` (all with the same ``is_primary``)."""
    n = next(_seq)
    worker = GridWorker(code=code or f"W{n:05d}", name=name, role=role, phone=phone,
                        duties=duties, supervision_phone=supervision_phone)
    _add(session, worker)
    for grid in grids:
        session.add(GridWorkerGrid(worker_id=worker.id, grid_id=grid.id, is_primary=is_primary))
    session.flush()
    return worker


def make_household(session: Session, *, building: Building, code: str | None = None,
                   unit: str | None = "1", room: str | None = "101",
                   head_name: str | None = "李户主", phone: str | None = "13812345678",
                   size: int = 1) -> Household:
    """A household in ``building``."""
    n = next(_seq)
    household = Household(code=code or f"H{n:07d}", building_id=building.id, unit=unit,
                          room=room, head_name=head_name, phone=phone, size=size)
    return _add(session, household)  # type: ignore[return-value]


def make_resident(session: Session, *, building: Building, household: Household | None = None,
                  code: str | None = None, name: str = "王居民",
                  id_number: str | None = "320706199001011234",
                  phone: str | None = "13787654321", gender: str | None = "M",
                  birth_date: date | None = date(1990, 1, 1), relation: str | None = "户主",
                  categories: list[str] | None = None) -> Resident:
    """A resident of ``building`` (and ``household`` when given)."""
    n = next(_seq)
    resident = Resident(code=code or f"R{n:07d}", building_id=building.id,
                        household_id=household.id if household is not None else None,
                        name=name, id_number=id_number, phone=phone, gender=gender,
                        birth_date=birth_date, relation=relation, categories=categories or [])
    return _add(session, resident)  # type: ignore[return-value]


def make_event(session: Session, *, code: str | None = None, category: str = "environment",
               status: str = "reported", channel: str = "patrol",
               geom: BaseGeometry | None = None, grid: Grid | None = None,
               community_code: str | None = None, address: str | None = None,
               description: str | None = "测试事件") -> Event:
    """An event at ``geom`` (default a point in the default grid), assigned to ``grid``."""
    n = next(_seq)
    event = Event(code=code or f"E{n:07d}", category=category, status=status, channel=channel,
                  description=description, address=address, community_code=community_code,
                  grid_id=grid.id if grid is not None else None,
                  grid_version=grid.version if grid is not None else None,
                  geom=_ewkb(geom or Point(119.202, 34.602)))
    return _add(session, event)  # type: ignore[return-value]


PHOTO_GPS = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (34.0, 36.0, 18.5),
             ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (119.0, 12.0, 7.25)}


def make_photo_jpeg(size: tuple[int, int] = (640, 480), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF with a GPS position (PHOTO_GPS), the camera make
    'TestPhone', an orientation, a comment; red with a blue band at the top left as stored."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = PHOTO_GPS
    out = io.BytesIO()
    picture = Image.new("RGB", size, (200, 40, 40))
    picture.paste((20, 40, 200), (0, 0, size[0] // 2, size[1] // 4))
    picture.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()
