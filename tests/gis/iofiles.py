"""Builders for import tests: small frames near 海州区 (lon 119.2, lat 34.6), files, rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from gis.models import Building, Grid, Region

LON, LAT = 119.20, 34.60
STEP = 0.004  # about 370 m by 440 m
COMMUNITY = "320706013001"


def cell(i: int, j: int = 0, size: float = STEP) -> shapely.Polygon:
    x, y = LON + i * size, LAT + j * size
    return shapely.box(x, y, x + size, y + size)


def grid_frame(n: int = 3, *, community_code: str | None = None, prefix: str = "G"
               ) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "code": [f"{prefix}{i:03d}" for i in range(1, n + 1)],
        "name": [f"第{i}网格" for i in range(1, n + 1)],
        "theme": "unified", "kind": ["residential", "commercial", "rural"][:1] * n,
        "community_code": community_code, "locked": [i == 1 for i in range(1, n + 1)],
    }, geometry=[cell(i) for i in range(n)], crs="EPSG:4490")


def building_frame(n: int = 3, *, grid_code: str | None = None) -> gpd.GeoDataFrame:
    inner = [shapely.box(LON + i * 0.001, LAT + 0.0005, LON + i * 0.001 + 0.0006, LAT + 0.001)
             for i in range(n)]
    return gpd.GeoDataFrame({
        "code": [f"B{i:03d}" for i in range(1, n + 1)],
        "address": [f"海州区幸福路{i}号" for i in range(1, n + 1)],
        "compound": "幸福小区", "floors": [6, 11, 18][:1] * n,
        "households": [24 + i for i in range(n)], "residents": [60 + i for i in range(n)],
        "use": "residential", "community_code": None, "grid_code": grid_code,
    }, geometry=inner, crs="EPSG:4490")


def facility_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "code": ["F001", "F002", "F003"],
        "name": ["党群服务中心", "社区卫生服务站", "应急避难场所"],
        "type": ["party_center", "clinic", "shelter"], "level": ["community", "community", None],
        "capacity": [None, 40, 800], "opening_hours": ["08:30-17:30", "00:00-24:00", None],
        "address": ["幸福路1号", "幸福路9号", None], "phone": ["0518-85550001", None, None],
        "community_code": None,
    }, geometry=[shapely.Point(LON + 0.001, LAT + 0.001), shapely.Point(LON + 0.002, LAT),
                 shapely.MultiPolygon([cell(5, 5, 0.002)])], crs="EPSG:4490")


def write(frame: pd.DataFrame, path: Path, **kwargs: object) -> Path:
    """Write ``frame`` in the format of ``path``'s extension (CSV: WKT or lon/lat columns)."""
    if path.suffix == ".csv":
        out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        if isinstance(frame, gpd.GeoDataFrame):
            geoms = frame.geometry.values
            if all(g is None or g.geom_type == "Point" for g in geoms):
                out["lon"] = [g.x if g is not None else None for g in geoms]
                out["lat"] = [g.y if g is not None else None for g in geoms]
            else:
                out["wkt"] = shapely.to_wkt(geoms, rounding_precision=-1)
        out.to_csv(path, index=False)
        return path
    target = path.with_suffix(".shp.zip") if path.suffix == ".zip" else path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # Shapefile field names cut to 10
        pyogrio.write_dataframe(frame, target, **kwargs)  # type: ignore[arg-type]
    return target.rename(path) if target != path else path


def make_region(session: Session, code: str = COMMUNITY, *, level: str = "community",
                parent_code: str | None = None, geom: shapely.Geometry | None = None) -> Region:
    region = Region(code=code, name=f"区划{code[-3:]}", level=level, parent_code=parent_code,
                    geom=from_shape(shapely.MultiPolygon([geom or cell(0, 0, 0.05)]),
                                    srid=4490))
    session.add(region)
    session.flush()
    return region


def make_grid(session: Session, code: str = "G900", *, theme: str = "unified") -> Grid:
    grid = Grid(code=code, name=f"网格{code}", theme=theme, kind="residential",
                geom=from_shape(shapely.MultiPolygon([cell(9, 9)]), srid=4490))
    session.add(grid)
    session.flush()
    return grid


def make_building(session: Session, code: str = "B900") -> Building:
    building = Building(code=code, address=f"幸福路{code}号", households=1, residents=2,
                        geom=from_shape(shapely.MultiPolygon([cell(8, 8, 0.0005)]), srid=4490))
    session.add(building)
    session.flush()
    return building
