"""A small raster PMTiles archive (one colour, PNG tiles over a lon/lat box) for basemap tests."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from gis.tiles import archive

COLOUR = (200, 230, 201)


def make_raster_archive(path: Path, bounds: tuple[float, float, float, float], *,
                        zooms: range = range(12, 17)) -> Path:
    """PNG tiles of ``COLOUR`` covering ``bounds`` (EPSG:4490 lon/lat) at ``zooms``."""
    png = io.BytesIO()
    Image.new("RGB", (256, 256), COLOUR).save(png, format="PNG")
    tiles = []
    for z in zooms:
        x0, y0, x1, y1 = archive.tile_range(bounds, z)
        tiles += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    with path.open("wb") as out:
        writer = Writer(out)
        for z, x, y in sorted(tiles, key=lambda t: zxy_to_tileid(*t)):
            writer.write_tile(zxy_to_tileid(z, x, y), png.getvalue())
        e7 = [round(v * 1e7) for v in bounds]
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE,
                         "min_lon_e7": e7[0], "min_lat_e7": e7[1], "max_lon_e7": e7[2],
                         "max_lat_e7": e7[3], "center_zoom": zooms[0],
                         "center_lon_e7": (e7[0] + e7[2]) // 2,
                         "center_lat_e7": (e7[1] + e7[3]) // 2}, {"name": "test basemap"})
    return path
