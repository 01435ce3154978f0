"""Small walking networks drawn in metres (EPSG:4549 around lon 119.2, lat 34.6).

``at(x, y)`` turns local metres into lon/lat (EPSG:4490), so a test draws streets on graph
paper and knows every walking distance by hand; ``make_roads`` loads them with load_roads.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import Transformer
from shapely import LineString, Point
from sqlalchemy.orm import Session

from gis.network import roads

_TO_M = Transformer.from_crs(4490, 4549, always_xy=True)
_TO_DEG = Transformer.from_crs(4549, 4490, always_xy=True)
X0, Y0 = _TO_M.transform(119.2, 34.6)


def at(x: float, y: float) -> tuple[float, float]:
    """Lon/lat of the point ``x`` metres east and ``y`` metres north of the origin."""
    return _TO_DEG.transform(X0 + x, Y0 + y)


def point(x: float, y: float) -> Point:
    return Point(*at(x, y))


def line(*xy: tuple[float, float]) -> LineString:
    return LineString([at(x, y) for x, y in xy])


def roads_frame(*lines: LineString, kinds: list[str] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": kinds or ["footway"] * len(lines),
                             "name": [f"路{i}" for i in range(len(lines))]},
                            geometry=list(lines), crs=4490)


def make_roads(session: Session, *lines: LineString) -> dict:
    """Load ``lines`` (lon/lat) as the whole walking network; returns load_roads' report."""
    return roads.load_roads(session, roads_frame(*lines))


def box_around(x: float, y: float, half: float = 5.0):  # type: ignore[no-untyped-def]
    """A small square building footprint (lon/lat) centred ``x, y`` metres from the origin."""
    from shapely import Polygon

    return Polygon([at(x - half, y - half), at(x + half, y - half), at(x + half, y + half),
                    at(x - half, y + half)])
