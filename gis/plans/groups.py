"""Re-forming one group of building atoms into grids, and tiling the group's ground.

A group is what a plan redraws at once: an oversized grid, an undersized grid with the
neighbour it merges into, or a whole community (merge). Pure functions, metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from gis.grids.household_rules import grid_count
from gis.plans import partition


@dataclass
class Units:
    """Per atom of a group: households, cell area (m²), cell perimeter (m), centroid x/y."""

    households: np.ndarray
    cell_area: np.ndarray
    cell_perim: np.ndarray
    xy: np.ndarray
    compound: np.ndarray | None = None
    """Compound (小区) name per atom (None/empty: none): kept whole where the range allows."""


@dataclass
class GroupResult:
    """Local part label per atom of the group, and per part a flag and a reason."""

    labels: np.ndarray
    flags: list[str | None]
    reasons: list[str]
    cut_off: list[int] = field(default_factory=list)
    """Parts that are clusters cut off from the rest of the group (water, other grids)."""


def bridge_small_components(adj: sparse.csr_matrix, households: np.ndarray, xy: np.ndarray,
                            minimum: int) -> tuple[sparse.csr_matrix, int]:
    """Join components holding fewer than ``minimum`` households to the nearest other one.

    Only for the benchmark (bench/balance), whose peers need one connected graph per
    community. The planner never does this: a grid must be contiguous, so a cut-off cluster
    joins a grid it touches or becomes its own flagged grid (``partition_group``).
    """
    adj = adj.tolil(copy=True)
    bridges = 0
    n_comp, comp = connected_components(adj, directed=False)
    while n_comp > 1:
        totals = np.bincount(comp, weights=households)
        small = int(np.argmin(totals))
        if totals[small] >= minimum:
            break
        inside, outside = np.flatnonzero(comp == small), np.flatnonzero(comp != small)
        dist, nearest = cKDTree(xy[outside]).query(xy[inside])
        i = int(np.argmin(dist))
        a, b = inside[i], outside[nearest[i]]
        adj[a, b] = adj[b, a] = 1.0
        bridges += 1
        n_comp, comp = connected_components(adj, directed=False)
    return adj.tocsr(), bridges


def partition_group(adj: sparse.csr_matrix, units: Units, bounds: tuple[int, int], *,
                    metis_adj: sparse.csr_matrix | None = None, seed: int = 0) -> GroupResult:
    """Parts of a group (arrays local to it): oversized single buildings alone, the rest by
    METIS per connected component of ``adj`` with k = ``grid_count``, then refined.

    A component too small to be a grid while the group has others (buildings cut off by
    water or by other grids) becomes its own part, flagged undersized and listed in
    ``cut_off``: joining it to the nearest buildings would make a grid of several pieces.
    The caller (balance) brings in a grid the cluster touches and partitions again."""
    lo, hi = bounds
    households = units.households
    labels = np.full(len(households), -1, dtype=np.int64)
    result = GroupResult(labels, [], [])
    for i in np.flatnonzero(households > hi):
        labels[i] = len(result.flags)
        result.flags.append("oversized")
        result.reasons.append(f"单栋建筑 {households[i]} 户超过上限 {hi}，建筑不拆分 "
                              f"(one building of {households[i]} households; buildings are "
                              "never split)")
    rest = np.flatnonzero(households <= hi)
    if rest.size == 0:
        return result
    sub = adj[rest][:, rest].tocsr()
    # METIS may see heavier edges (merge: households that shared thematic grids)
    msub = sub if metis_adj is None else metis_adj[rest][:, rest].maximum(sub).tocsr()
    n_comp, comp = connected_components(sub, directed=False)
    totals = np.bincount(comp, weights=households[rest])
    for c in range(n_comp):
        members = rest[comp == c]
        if n_comp > 1 and totals[c] < lo:
            _cut_off_part(result, members, int(totals[c]), lo)
            continue
        local = comp == c
        _place_component(result, members, (sub[local][:, local], msub[local][:, local]),
                         units, bounds, seed)
    return result


def _cut_off_part(result: GroupResult, members: np.ndarray, households: int, lo: int) -> None:
    result.labels[members] = len(result.flags)
    result.cut_off.append(len(result.flags))
    result.flags.append("undersized")
    result.reasons.append(
        f"{len(members)} 栋建筑 ({households} 户) 被水域或其他网格隔开，不与本组其他建筑相邻，"
        f"且没有可并入的相邻网格：单独成网格，少于 {lo} 户 ({len(members)} buildings, "
        f"{households} households, cut off by water or other grids with no adjacent grid "
        "free to join: their own undersized grid; grids stay contiguous)")


def _place_component(result: GroupResult, members: np.ndarray,
                     graphs: tuple[sparse.csr_matrix, sparse.csr_matrix], units: Units,
                     bounds: tuple[int, int], seed: int) -> None:
    adj, metis_adj = graphs
    h = units.households[members]
    count = grid_count(int(h.sum()), bounds)
    labels = _best_labels(adj, metis_adj, h, units.cell_area[members],
                          units.cell_perim[members], bounds, count.k, seed)
    if units.compound is not None:
        labels = partition.keep_compounds(labels, adj, h, units.compound[members], bounds)
    offset = len(result.flags)
    _, labels = np.unique(labels, return_inverse=True)
    result.labels[members] = offset + labels
    totals = np.bincount(labels, weights=h)
    for total in totals:
        flag = None
        if partition.violation(total, bounds) > 0:
            flag = "oversized" if total > bounds[1] else "undersized"
        result.flags.append(flag)
        result.reasons.append("" if flag is None else (
            count.reason or f"{int(total)} 户：在保持连片的前提下无法调入范围 "
                            f"({int(total)} households: no contiguous split reaches "
                            f"{bounds[0]}–{bounds[1]})"))


ATTEMPTS = 4
"""Further (k, seed) tries when the first partition leaves a part out of range."""


def _best_labels(adj: sparse.csr_matrix, metis_adj: sparse.csr_matrix, h: np.ndarray,
                 area: np.ndarray, perim: np.ndarray, bounds: tuple[int, int], k: int,
                 seed: int) -> np.ndarray:
    """METIS + refinement; when a part stays out of range, a few other k (within
    ceil(H/max)..floor(H/min)) and seeds are tried and the smallest total violation wins."""
    lo, hi = bounds
    total = float(h.sum())
    ks = [k, *sorted(set(range(max(1, -int(-total // hi)), int(total // max(lo, 1)) + 1))
                     - {k}, key=lambda n: abs(total / n - (lo + hi) / 2))]
    tries = [(k, seed), *[(n, seed + i) for i, n in enumerate(ks * 2, start=1)][:ATTEMPTS]]
    best, best_score = None, None
    for n, s in tries:  # few tries, each a METIS call plus refinement
        labels = partition.refine(partition.metis_parts(metis_adj, h, n, seed=s), adj, h,
                                  area, perim, bounds)
        score = float(np.sum(partition.violation(np.bincount(labels, weights=h), bounds)))
        if best_score is None or score < best_score:
            best, best_score = labels, score
        if score == 0:
            break
    assert best is not None
    return best


def tile_parts(cell_geoms: np.ndarray, labels: np.ndarray, area: shapely.Geometry,
               n_parts: int) -> np.ndarray:
    """Polygons of the parts that tile ``area`` exactly: each part's cells within ``area``,
    and every leftover piece of ``area`` to the part it shares most boundary with."""
    frame = gpd.GeoDataFrame({"part": labels}, geometry=list(cell_geoms))
    dissolved = frame.dissolve("part").geometry
    polys = np.full(n_parts, None, dtype=object)
    polys[dissolved.index.to_numpy()] = shapely.intersection(dissolved.values, area)
    empty = shapely.empty(n_parts, geom_type=shapely.GeometryType.POLYGON)
    polys = np.where(shapely.is_missing(polys), empty, polys)
    leftover = shapely.get_parts(shapely.difference(area, shapely.union_all(polys)))
    leftover = leftover[shapely.area(leftover) > 1e-3]
    if leftover.size:
        owner = _owner_of_pieces(leftover, polys)
        extra = gpd.GeoDataFrame({"part": owner}, geometry=list(leftover)).dissolve("part")
        idx = extra.index.to_numpy()
        polys[idx] = shapely.union(polys[idx], extra.geometry.values)
    return shapely.make_valid(polys)


def _owner_of_pieces(pieces: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Per piece, the part sharing the longest boundary with it (the nearest if none)."""
    tree = shapely.STRtree(polys)
    owner = tree.query_nearest(pieces, all_matches=False)[1]
    left, right = tree.query(pieces, predicate="intersects")
    if left.size:
        shared = shapely.length(shapely.intersection(shapely.boundary(pieces[left]),
                                                     shapely.boundary(polys[right])))
        order = np.argsort(shared)
        owner[left[order]] = right[order]
    return owner
