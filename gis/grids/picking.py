"""In-memory picks of grids for points and buildings, vectorised with shapely.

The same rules as the SQL of gis/core/sql/assign_events_pick.sql (points) and
assign_buildings.sql (buildings), decided by the same GEOS predicates on the same doubles:

* points: the lowest-coded grid covering the point (``covers``: the edge counts); a point
  covered by none goes to the nearest grid within ``max_outside_m`` metres measured in the
  metric CRS ``metric_epsg`` (ties: lowest code); farther points get none;
* buildings: the grid whose intersection with the building has the largest area (planar
  degrees; a building covered by a grid counts its whole area), ties lowest code; a building
  touching no grid gets none.

Inputs and grids are EPSG:4490 lon/lat. Pure functions: no database, no mutation.
tests/gis/grids/test_picking.py compares them with the SQL on the demo and generated sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

NONE = -1
"""Index (and grid id) meaning "no grid"."""
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Grids:
    """Grids in code order (so the lowest index is the lowest code), EPSG:4490."""

    ids: IntArray
    codes: npt.NDArray[np.object_]
    geoms: npt.NDArray[np.object_]

    @classmethod
    def of(cls, ids: npt.ArrayLike, codes: npt.ArrayLike, geoms: npt.ArrayLike) -> Grids:
        """Grids from parallel arrays in any order (sorted here by code)."""
        codes_arr = np.asarray(codes, dtype=object)
        order = np.argsort(codes_arr.astype(str), kind="stable")
        geoms_arr = np.asarray(geoms, dtype=object)[order]
        shapely.prepare(geoms_arr)
        return cls(np.asarray(ids, dtype=np.int64)[order], codes_arr[order], geoms_arr)

    def grid_ids(self, index: IntArray) -> IntArray:
        """Grid ids of grid indexes (NONE stays NONE)."""
        out = np.full(len(index), NONE, dtype=np.int64)
        found = index != NONE
        out[found] = self.ids[index[found]]
        return out


def covering(x: FloatArray, y: FloatArray, grids: Grids) -> IntArray:
    """Per point (EPSG:4490 x, y), the index of the lowest-coded grid covering it, or NONE.

    Grids are tried in code order on the points not yet taken inside their box (points sorted
    by x, so each grid reads one slab); for a point, covers == intersects.
    """
    pick = np.full(len(x), NONE, dtype=np.int64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    for index, geom in enumerate(grids.geoms):
        xmin, ymin, xmax, ymax = shapely.bounds(geom)
        slab = order[np.searchsorted(xs, xmin, "left"):np.searchsorted(xs, xmax, "right")]
        slab = slab[(y[slab] >= ymin) & (y[slab] <= ymax) & (pick[slab] == NONE)]
        if slab.size:
            pick[slab[shapely.intersects_xy(geom, x[slab], y[slab])]] = index
    return pick


def nearest_within(x: FloatArray, y: FloatArray, grids: Grids, *, metric_epsg: int,
                   max_outside_m: float) -> tuple[IntArray, FloatArray]:
    """Per point, the index of the nearest grid within ``max_outside_m`` metres (in
    ``metric_epsg``; ties lowest code) and its distance; NONE and inf when there is none."""
    pick = np.full(len(x), NONE, dtype=np.int64)
    dist = np.full(len(x), np.inf)
    if len(x) == 0 or max_outside_m <= 0 or len(grids.ids) == 0:
        return pick, dist
    to_metric = Transformer.from_crs(4490, metric_epsg, always_xy=True)
    mx, my = to_metric.transform(x, y)
    segments, owner = _edge_segments(shapely.transform(grids.geoms, lambda xy: np.column_stack(
        to_metric.transform(xy[:, 0], xy[:, 1]))))
    (point, segment), metres = shapely.STRtree(segments).query_nearest(
        shapely.points(mx, my), max_distance=max_outside_m, return_distance=True,
        all_matches=True)
    grid = owner[segment]
    keep = metres <= max_outside_m
    point, grid, metres = point[keep], grid[keep], metres[keep]
    first = np.lexsort((grid, metres, point))
    point, grid, metres = point[first], grid[first], metres[first]
    lead = np.r_[True, point[1:] != point[:-1]] if point.size else np.zeros(0, bool)
    pick[point[lead]] = grid[lead]
    dist[point[lead]] = metres[lead]
    return pick, dist


def _edge_segments(geoms: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.object_], IntArray]:
    """The grids' edges as two-point segments and the grid index of each. For a point outside
    a polygon its distance is the least distance to a segment of its rings; a tree of short
    segments answers nearest queries far faster than whole grids."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]
    segments = np.asarray(shapely.linestrings(
        np.stack([coords[:-1][same], coords[1:][same]], axis=1)), dtype=object)
    return segments, part_owner[ring_part[ring[:-1][same]]].astype(np.int64)


def point_grids(x: FloatArray, y: FloatArray, grids: Grids, *, metric_epsg: int,
                max_outside_m: float) -> tuple[IntArray, FloatArray]:
    """Per point (EPSG:4490), the grid index by the rules above and its distance in metres
    (0 when covered, inf when none)."""
    pick = covering(x, y, grids)
    dist = np.where(pick != NONE, 0.0, np.inf)
    rest = np.flatnonzero(pick == NONE)
    near, metres = nearest_within(x[rest], y[rest], grids, metric_epsg=metric_epsg,
                                  max_outside_m=max_outside_m)
    pick[rest], dist[rest] = near, metres
    return pick, dist


def building_grids(buildings: npt.NDArray[np.object_], grids: Grids
                   ) -> tuple[IntArray, FloatArray]:
    """Per building polygon (EPSG:4490), the index of the grid holding most of its area
    (planar degrees; ties lowest code) and that area; NONE and 0 when it touches no grid."""
    pick = np.full(len(buildings), NONE, dtype=np.int64)
    best = np.zeros(len(buildings))
    if len(buildings) == 0 or len(grids.ids) == 0:
        return pick, best
    building, grid = shapely.STRtree(grids.geoms).query(buildings, predicate="intersects")
    outer, inner = grids.geoms[grid], buildings[building]
    area = shapely.area(inner)
    split = ~shapely.covers(outer, inner)
    area[split] = shapely.area(shapely.intersection(outer[split], inner[split]))
    first = np.lexsort((grid, -area, building))
    building, grid, area = building[first], grid[first], area[first]
    lead = np.r_[True, building[1:] != building[:-1]] if building.size else np.zeros(0, bool)
    pick[building[lead]] = grid[lead]
    best[building[lead]] = area[lead]
    return pick, best
