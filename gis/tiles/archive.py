"""Offline map packages: gridmap's vector tiles of several layers in one PMTiles v3 archive.

Each tile is what /tiles/{layer}/{z}/{x}/{y}.pbf serves (gis.tiles.mvt, ST_AsMVT), the
layers' MVT blobs of one z/x/y concatenated into one tile (valid MVT: a tile is a sequence of
layers), gzipped as the header says. Tiles are Web Mercator (EPSG:3857) XYZ; the header's
bounds and centre are lon/lat (EPSG:4490 = WGS84 within cm). QGIS (3.32+) and MapLibre (the
``pmtiles`` JS protocol) read the archive. Only tiles that hold data are written.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.core import sql
from gis.core.errors import InvalidInput, NotFound
from gis.tiles import mvt

Bounds = tuple[float, float, float, float]
"""(min lon, min lat, max lon, max lat) in EPSG:4490."""
Progress = Callable[[int, int], None]
"""Called with (tiles done, tiles in all) while the archive is written."""
ARCHIVE_MAX_ZOOM = 20
FIELDS = {
    "grids": ("code", "name", "theme", "kind", "community_code", "households", "residents"),
    "buildings": ("code", "address", "compound", "floors", "households", "residents", "use",
                  "community_code", "grid_code"),
    "facilities": ("code", "name", "type", "level", "capacity", "opening_hours", "address",
                   "phone", "community_code"),
}
"""Attributes of each layer's features (tile_<layer>.sql), for the archive's metadata."""


@dataclass(frozen=True)
class ArchiveReport:
    """What was written: tile count, zoom range, lon/lat bounds (EPSG:4490), bytes."""

    tiles: int
    min_zoom: int
    max_zoom: int
    bounds: Bounds
    size: int


def parse_zoom(text: str) -> tuple[int, int]:
    """'12-17' or '15' as (min, max) zoom; InvalidInput naming the allowed range."""
    low, _, high = text.partition("-")
    try:
        zooms = int(low), int(high or low)
    except ValueError:
        raise InvalidInput(f"zoom must be like 12-17 or 15; got {text!r}") from None
    if not 0 <= zooms[0] <= zooms[1] <= ARCHIVE_MAX_ZOOM:
        raise InvalidInput(f"zooms must be 0 <= min <= max <= {ARCHIVE_MAX_ZOOM}; got {text!r}")
    return zooms


def parse_layers(text: str | Sequence[str]) -> tuple[str, ...]:
    """'grids,buildings' as layer names (known tile layers, in the order given)."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in dict.fromkeys(names) if n]
    if not names:
        raise InvalidInput(f"name at least one layer: {', '.join(mvt.TILE_LAYERS)}")
    for name in names:
        mvt.get_tile_layer(name)
    return tuple(names)


def _layer_flags(layers: Sequence[str], theme: str) -> dict[str, object]:
    return {"grids": "grids" in layers, "buildings": "buildings" in layers,
            "facilities": "facilities" in layers, "theme": theme}


def tile_range(bounds: Sequence[float], z: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the XYZ tiles at ``z`` covering lon/lat ``bounds`` (EPSG:4490)."""
    minx, miny, maxx, maxy = bounds
    n = 2 ** z

    def tile_x(lon: float) -> int:
        return min(n - 1, max(0, math.floor((lon + 180.0) / 360.0 * n)))

    def tile_y(lat: float) -> int:
        rad = math.radians(max(-85.0511, min(85.0511, lat)))
        return min(n - 1, max(0, math.floor((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)))

    return tile_x(minx), tile_y(maxy), tile_x(maxx), tile_y(miny)


def list_tiles(session: Session, layers: Sequence[str], zooms: tuple[int, int], *,
               theme: str = "unified") -> tuple[list[tuple[int, int, int]], Bounds]:
    """The z/x/y tiles holding data of ``layers`` in PMTiles order, and the data's lon/lat
    bounds (EPSG:4490); NotFound when the layers hold nothing."""
    flags = _layer_flags(layers, theme)
    row = session.execute(sql.statement("tile_extent"), flags).one()
    if row.minx is None:
        raise NotFound(f"nothing to export: {', '.join(layers)} hold no data")
    bounds = (float(row.minx), float(row.miny), float(row.maxx), float(row.maxy))
    tiles: list[tuple[int, int, int]] = []
    for z in range(zooms[0], zooms[1] + 1):  # one set-based query per zoom
        x0, y0, x1, y1 = tile_range(bounds, z)
        found = session.execute(sql.statement("tile_cover"), {
            **flags, "z": z, "x0": x0, "y0": y0, "x1": x1, "y1": y1,
            "margin": mvt.BUFFER / mvt.EXTENT,
            "building_min_zoom": mvt.TILE_LAYERS["buildings"].min_zoom}).all()
        tiles.extend((z, x, y) for x, y in found)
    tiles.sort(key=lambda t: zxy_to_tileid(*t))
    return tiles, bounds


def _metadata(layers: Sequence[str], zooms: tuple[int, int]) -> dict[str, object]:
    """TileJSON-like metadata: MapLibre and QGIS read ``vector_layers``."""
    return {"name": "gridmap", "format": "pbf", "attribution": "gridmap",
            "vector_layers": [{"id": name, "fields": dict.fromkeys(FIELDS[name], "String"),
                               "minzoom": max(zooms[0], mvt.TILE_LAYERS[name].min_zoom),
                               "maxzoom": zooms[1]} for name in layers]}


def _header(bounds: Sequence[float], zooms: tuple[int, int]) -> dict[str, object]:
    minx, miny, maxx, maxy = (round(v * 1e7) for v in bounds)
    return {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
            "min_lon_e7": minx, "min_lat_e7": miny, "max_lon_e7": maxx, "max_lat_e7": maxy,
            "center_zoom": zooms[0], "center_lon_e7": (minx + maxx) // 2,
            "center_lat_e7": (miny + maxy) // 2}


def export_archive(session: Session, path: Path, *, layers: Sequence[str],
                   zooms: tuple[int, int], theme: str = "unified",
                   caller: Caller | None = None, progress: Progress | None = None
                   ) -> ArchiveReport:
    """Write the tiles of ``layers`` at ``zooms`` into the PMTiles archive ``path``.

    ``caller`` decides the tiles' attributes as on /tiles (default: an admin, everything).
    """
    who = caller or Caller(role="admin")
    tiles, bounds = list_tiles(session, layers, zooms, theme=theme)
    part = path.with_name(path.name + ".part")  # a failed export leaves no broken archive
    written = 0
    try:
        with part.open("wb") as out:
            writer = Writer(out)
            for done, (z, x, y) in enumerate(tiles, start=1):
                data = b"".join(mvt.get_tile_bytes(session, who, name, z, x, y, theme=theme)
                                for name in layers)
                if data:
                    writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(data, mtime=0))
                    written += 1
                if progress:
                    progress(done, len(tiles))
            if not written:
                raise NotFound(f"nothing to export: {', '.join(layers)} hold no data at "
                               f"zooms {zooms[0]}-{zooms[1]}")
            writer.finalize(_header(bounds, zooms), _metadata(layers, zooms))
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return ArchiveReport(written, zooms[0], zooms[1], bounds, path.stat().st_size)
