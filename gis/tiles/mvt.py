"""Mapbox Vector Tiles of grids, buildings and facilities, made by PostGIS (ST_AsMVT).

Tiles are in Web Mercator (EPSG:3857) on the usual XYZ scheme (y down from the north);
storage stays EPSG:4490 and each tile's rows are transformed on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.access.callers import Caller
from gis.core import sql
from gis.core.errors import InvalidInput, NotFound
from gis.models.admin import GRID_THEMES

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64


@dataclass(frozen=True)
class TileLayer:
    """One tile layer: its SQL (gis/core/sql/tile_<name>.sql), who may read its attributes, from
    which zoom. A non-public layer with ``footprints`` answers anonymous callers with its
    geometries only (the SQL's ``:details`` false); without, they get Unauthenticated."""

    name: str
    public: bool
    min_zoom: int = 0
    footprints: bool = False
    title: str = ""
    fields: tuple[tuple[str, str], ...] = ()  # (attribute, TileJSON type) of each feature
    geometry: str = "polygon"  # polygon | point (how a style draws it)


_TEXT, _NUMBER, _FLAG = "String", "Number", "Boolean"
TILE_LAYERS = {layer.name: layer for layer in (
    TileLayer("grids", public=True, title="网格 Grids", fields=(
        ("code", _TEXT), ("name", _TEXT), ("theme", _TEXT), ("kind", _TEXT),
        ("community_code", _TEXT), ("households", _NUMBER), ("residents", _NUMBER))),
    TileLayer("facilities", public=True, title="设施 Facilities", geometry="point", fields=(
        ("code", _TEXT), ("name", _TEXT), ("type", _TEXT), ("level", _TEXT),
        ("capacity", _NUMBER), ("opening_hours", _TEXT), ("address", _TEXT),
        ("phone", _TEXT), ("community_code", _TEXT))),
    # buildings carry households and residents: key holders only (anonymous callers get the
    # bare footprints, as the embedded /map shows them), and not as whole-city tiles (below
    # z12 one tile would hold every building of a county)
    TileLayer("buildings", public=False, min_zoom=12, footprints=True, title="建筑 Buildings",
              fields=(("code", _TEXT), ("address", _TEXT), ("compound", _TEXT),
                      ("floors", _NUMBER), ("households", _NUMBER), ("residents", _NUMBER),
                      ("use", _TEXT), ("community_code", _TEXT), ("grid_code", _TEXT))),
    # open events: key holders of the region only, no personal field at all
    TileLayer("events", public=False, min_zoom=10, title="未结事件 Open events",
              geometry="point", fields=(
                  ("code", _TEXT), ("category", _TEXT), ("status", _TEXT), ("channel", _TEXT),
                  ("priority", _NUMBER), ("community_code", _TEXT), ("overdue", _FLAG))),
)}


def get_tile_layer(layer: str) -> TileLayer:
    """The tile layer named ``layer``; NotFound naming the layers there are."""
    spec = TILE_LAYERS.get(layer)
    if spec is None:
        raise NotFound(f"no tile layer '{layer}': use one of {', '.join(TILE_LAYERS)}")
    return spec


def check_tile(z: int, x: int, y: int) -> None:
    """Raise InvalidInput unless 0 <= z <= MAX_ZOOM and 0 <= x, y < 2**z."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput(f"zoom must be between 0 and {MAX_ZOOM}; got {z}")
    size = 2 ** z
    if not (0 <= x < size and 0 <= y < size):
        raise InvalidInput(f"at zoom {z} x and y must be between 0 and {size - 1}; "
                           f"got x={x}, y={y}")


def get_tile(session: Session, caller: Caller, layer: str, z: int, x: int, y: int, *,
             theme: str = "unified") -> bytes:
    """The MVT bytes of ``layer`` at z/x/y (empty bytes when the tile holds nothing).

    Raises NotFound for an unknown layer, InvalidInput for a tile outside the pyramid or an
    unknown theme. Who may read a layer is checked before (api: ``TileLayerDep``);
    anonymous callers of a ``footprints`` layer get its geometries with no attribute.
    """
    spec = get_tile_layer(layer)
    check_tile(z, x, y)
    if theme not in GRID_THEMES:
        raise InvalidInput(f"unknown grid theme '{theme}': use one of {', '.join(GRID_THEMES)}")
    details = spec.public or not caller.is_anonymous
    if z < spec.min_zoom:
        return b""
    params = {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER,
              "margin": BUFFER / EXTENT,
              "theme": theme, "scope": jurisdiction.scope_prefix(caller.scope),
              "details": details}
    data = session.execute(sql.statement(f"tile_{layer}"), params).scalar_one()
    return bytes(data or b"")
