"""Mapbox Vector Tiles of grids, buildings, facilities, service circles and open events, made
by PostGIS (ST_AsMVT) and kept by gis.tiles.cache under the versions of the data they show.

Tiles are in Web Mercator (EPSG:3857) on the usual XYZ scheme (y down from the north);
storage stays EPSG:4490 and each tile's rows are transformed on the way out.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.access.callers import Caller
from gis.core import sql
from gis.core.errors import InvalidInput, NotFound
from gis.models.admin import GRID_THEMES
from gis.tiles import cache

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
# the service circles drawn as tiles: gis.network.circles' default budget (10 minutes at
# 50 m/min, GB 50180's 10-minute life circle), the ones `gridmap circles` and /map/coverage
# compute and store (tests/gis/tiles check the two agree)
CIRCLE_MINUTES = 10.0
CIRCLE_SPEED = 50.0


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
    sources: tuple[str, ...] = ()  # the tables the tile's SQL reads (its cache versions)
    clock: bool = False  # the tile changes with the time too (events' overdue flag)

    @property
    def anonymous(self) -> bool:
        """Anonymous callers may read it (public, or bare footprints)."""
        return self.public or self.footprints


_TEXT, _NUMBER, _FLAG = "String", "Number", "Boolean"
TILE_LAYERS = {layer.name: layer for layer in (
    TileLayer("grids", public=True, title="网格 Grids", fields=(
        ("code", _TEXT), ("name", _TEXT), ("theme", _TEXT), ("kind", _TEXT),
        ("community_code", _TEXT), ("households", _NUMBER), ("residents", _NUMBER)),
        sources=("grid", "building")),
    TileLayer("facilities", public=True, title="设施 Facilities", geometry="point", fields=(
        ("code", _TEXT), ("name", _TEXT), ("type", _TEXT), ("level", _TEXT),
        ("capacity", _NUMBER), ("opening_hours", _TEXT), ("address", _TEXT),
        ("phone", _TEXT), ("community_code", _TEXT)), sources=("facility",)),
    # walking service circles (生活服务圈) stored for the default budget: public, as the
    # service-circles API; a circle computed before its facility last changed is left out
    TileLayer("circles", public=True, title="生活服务圈 Service circles", fields=(
        ("facility_code", _TEXT), ("name", _TEXT), ("type", _TEXT), ("level", _TEXT),
        ("minutes", _NUMBER), ("community_code", _TEXT)),
        sources=("service_area", "facility")),
    # buildings carry households and residents: key holders only (anonymous callers get the
    # bare footprints, as the embedded /map shows them), and not as whole-city tiles (below
    # z12 one tile would hold every building of a county)
    TileLayer("buildings", public=False, min_zoom=12, footprints=True, title="建筑 Buildings",
              fields=(("code", _TEXT), ("address", _TEXT), ("compound", _TEXT),
                      ("floors", _NUMBER), ("households", _NUMBER), ("residents", _NUMBER),
                      ("use", _TEXT), ("community_code", _TEXT), ("grid_code", _TEXT)),
              sources=("building", "grid")),
    # open events: key holders of the region only, no personal field at all
    TileLayer("events", public=False, min_zoom=10, title="未结事件 Open events",
              geometry="point", fields=(
                  ("code", _TEXT), ("category", _TEXT), ("status", _TEXT), ("channel", _TEXT),
                  ("priority", _NUMBER), ("community_code", _TEXT), ("overdue", _FLAG)),
              sources=("event",), clock=True),
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


@dataclass(frozen=True)
class Tile:
    """A tile as served: its entity tag and its MVT bytes gzipped (None when the client
    already holds the tile: its If-None-Match named ``etag``; empty, not gzipped, when the
    tile holds no feature). Tiles are compressed once, when built, not on every answer."""

    etag: str
    gzipped: bytes | None

    @property
    def body(self) -> bytes | None:
        """The MVT bytes themselves."""
        return gzip.decompress(self.gzipped) if self.gzipped else self.gzipped


def tile_params(spec: TileLayer, caller: Caller, z: int, x: int, y: int,
                theme: str) -> dict[str, Any]:
    """The parameters of ``spec``'s SQL for ``caller``. What the SQL ignores is normalised
    (public layers: everyone alike; no jurisdiction where no attribute is shown; the theme
    only for grids), so the cache key holds exactly what decides the bytes."""
    details = spec.public or not caller.is_anonymous
    scope = None if spec.public or not details else jurisdiction.scope_prefix(caller.scope)
    return {"z": z, "x": x, "y": y, "extent": EXTENT, "buffer": BUFFER,
            "margin": BUFFER / EXTENT, "theme": theme if spec.name == "grids" else "unified",
            "scope": scope, "details": details,
            "minutes": CIRCLE_MINUTES, "speed": CIRCLE_SPEED}


def get_tile(session: Session, caller: Caller, layer: str, z: int, x: int, y: int, *,
             theme: str = "unified", if_none_match: str | None = None) -> Tile:
    """The tile of ``layer`` at z/x/y for ``caller``, from the cache when its data has not
    changed since it was built.

    Raises NotFound for an unknown layer, InvalidInput for a tile outside the pyramid or an
    unknown theme. Who may read a layer is checked before (api: ``TileLayerDep``);
    anonymous callers of a ``footprints`` layer get its geometries with no attribute.
    """
    spec, params = _checked(caller, layer, z, x, y, theme)
    key = cache.tile_key(session, layer, spec.sources, params, clock=spec.clock)
    if key is None:  # this transaction wrote the data: build, keep nothing, tag the bytes
        body = _gzipped(build_tile(session, spec, params))
        tag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        return Tile(tag, None if _held(tag, if_none_match) else body)
    tag = cache.etag(key)
    if _held(tag, if_none_match):
        return Tile(tag, None)
    return Tile(tag, cache.get_or_build(
        key, lambda: _gzipped(build_tile(session, spec, params))))


def cached_tile(engine: Engine, caller: Caller, layer: str, z: int, x: int, y: int, *,
                theme: str = "unified", if_none_match: str | None = None) -> Tile | None:
    """``get_tile`` answered from this process's memory alone (no database I/O: the versions
    as gis.tiles.versions knows them, the tile from the cache), or None when that cannot be
    done (versions not known here, tile not cached): then call ``get_tile``. Raises as it."""
    spec, params = _checked(caller, layer, z, x, y, theme)
    key = cache.known_key(engine, layer, spec.sources, params, clock=spec.clock)
    if key is None:
        return None
    tag = cache.etag(key)
    if _held(tag, if_none_match):
        return Tile(tag, None)
    body = cache.cached(key)
    return None if body is None else Tile(tag, body)


def _gzipped(body: bytes) -> bytes:
    # level 6 and no timestamp, as the app's gzip of other answers: the same tile, same bytes
    return gzip.compress(body, compresslevel=6, mtime=0) if body else b""


def _held(tag: str, if_none_match: str | None) -> bool:
    return if_none_match is not None and tag in if_none_match


def get_tile_bytes(session: Session, caller: Caller, layer: str, z: int, x: int, y: int, *,
                   theme: str = "unified") -> bytes:
    """The MVT bytes of ``layer`` at z/x/y for ``caller``, built now and not cached (an
    archive export reads each tile once). Raises as ``get_tile``."""
    spec, params = _checked(caller, layer, z, x, y, theme)
    return build_tile(session, spec, params)


def _checked(caller: Caller, layer: str, z: int, x: int, y: int,
             theme: str) -> tuple[TileLayer, dict[str, Any]]:
    spec = get_tile_layer(layer)
    check_tile(z, x, y)
    if theme not in GRID_THEMES:
        raise InvalidInput(f"unknown grid theme '{theme}': use one of {', '.join(GRID_THEMES)}")
    return spec, tile_params(spec, caller, z, x, y, theme)


def build_tile(session: Session, spec: TileLayer, params: dict[str, Any]) -> bytes:
    """The MVT bytes of ``spec`` built by PostGIS with ``params`` (empty below its min zoom or
    when the tile holds nothing)."""
    if params["z"] < spec.min_zoom:
        return b""
    data = session.execute(sql.statement(f"tile_{spec.name}"), params).scalar_one()
    return bytes(data or b"")
