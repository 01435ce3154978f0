"""The graph a redrawn group is partitioned on, and one polygon per proposed grid.

Rook contiguity on the ground the group holds: a group's building cells are clipped to the
group's area (the union of the grids it redraws, inside the community) before their
adjacency is measured, so two buildings are neighbours only when their clipped cells share a
boundary of positive length (cells.MIN_SHARED_M). A part connected in that graph dissolves
into one polygon; cells meeting at a point, or only through ground outside the group, do
not make one grid. Compounds (小区, ``building.compound``) weigh on METIS's edges so they stay
whole where the household range allows; the split ones are listed in the plan report.

Pure functions (no database), metric CRS of the scope (metres).
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse

from gis.plans import cells as cells_mod
from gis.plans import groups
from gis.plans.atoms import Scope

COMPOUND_BONUS = 20.0
"""METIS edge weight multiplier between two buildings of one compound (小区): cutting a
compound costs as much as twenty times its shared boundary, so METIS keeps it whole unless
the household range cannot be met otherwise."""
MIN_PIECE_M2 = 1.0
"""Pieces of a proposed grid smaller than this (m²) are overlay crumbs: dropped."""


def group_graph(scope: Scope, idx: np.ndarray, area: shapely.Geometry, *,
                metis_adj: sparse.csr_matrix | None = None
                ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, groups.Units]:
    """(rook adjacency of the clipped cells, METIS edge weights, units) for atoms ``idx``
    (scope rows) redrawn inside ``area``. ``metis_adj``: scope-wide weights to start from
    (merge: shared thematic grids); compounds multiply them by COMPOUND_BONUS."""
    clipped = shapely.make_valid(shapely.intersection(scope.atoms["cell"].to_numpy()[idx], area))
    adj = cells_mod.adjacency(clipped, barrier=scope.water)
    base = adj if metis_adj is None else metis_adj[idx][:, idx].multiply(adj > 0).tocsr()
    weights = base.maximum(adj).tocoo()
    compound = scope.atoms["compound"].to_numpy(dtype=object)[idx] \
        if "compound" in scope.atoms else np.full(len(idx), None, dtype=object)
    same = (compound[weights.row] == compound[weights.col]) & (compound[weights.row] != None)  # noqa: E711
    data = weights.data * np.where(same, COMPOUND_BONUS, 1.0)
    metis = sparse.csr_matrix((data, (weights.row, weights.col)), shape=weights.shape)
    units = groups.Units(scope.atoms["load"].to_numpy(dtype=float)[idx], shapely.area(clipped),
                         shapely.length(clipped),
                         shapely.get_coordinates(shapely.centroid(
                             np.where(shapely.is_empty(clipped),
                                      scope.atoms["cell"].to_numpy()[idx], clipped))),
                         compound=compound)
    return adj, metis, units


def one_polygon(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each polygon of a group's tiling reduced to one piece: every piece but the largest is
    given to the grid sharing the longest boundary with it (rook: a shared length of at
    least cells.MIN_SHARED_M), crumbs under MIN_PIECE_M2 dropped. Returns (polygons, pieces
    touching no grid at length): the caller makes those grids of their own or drops them."""
    polys = np.array(polys, dtype=object)
    isolated: list[shapely.Geometry] = []
    for _ in range(4):  # a few rounds at most: a piece given away can free another
        parts, owner = shapely.get_parts(polys, return_index=True)
        keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= MIN_PIECE_M2)
        parts, owner = parts[keep], owner[keep]
        largest = _largest_per_owner(parts, owner, len(polys))
        has = largest >= 0
        stray = np.setdiff1d(np.arange(len(parts)), largest[has])
        main = shapely.empty(len(polys), geom_type=shapely.GeometryType.POLYGON)
        main[owner[largest[has]]] = parts[largest[has]]
        if stray.size == 0:
            return main, np.array(isolated, dtype=object)
        target = _rook_owner(parts[stray], owner[stray], main)
        isolated.extend(parts[stray][target < 0])
        for t in np.unique(target[target >= 0]):  # a handful of grids get pieces
            main[t] = shapely.union_all([main[t], *parts[stray][target == t]])
        polys = main
    return polys, np.array(isolated, dtype=object)


def relabel(points: np.ndarray, labels: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Per atom, the polygon of ``polys`` covering its point (``points``, metric CRS), or its
    label when none does: buildings follow the ground their grid was given."""
    hit_point, hit_poly = shapely.STRtree(polys).query(points, predicate="covered_by")
    out = np.asarray(labels).copy()
    out[hit_point] = hit_poly
    return out


def _largest_per_owner(parts: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Per owner, the index (into ``parts``) of its largest part; -1 for none."""
    out = np.full(n, -1, dtype=np.int64)
    order = np.argsort(shapely.area(parts))  # the largest written last wins
    out[owner[order]] = order
    return out


def _rook_owner(pieces: np.ndarray, own: np.ndarray, main: np.ndarray) -> np.ndarray:
    """Per piece, the grid (not its own) whose main polygon shares the longest boundary
    with it, -1 when none shares at least cells.MIN_SHARED_M."""
    tree = shapely.STRtree(main)
    left, right = tree.query(pieces, predicate="intersects")
    ok = right != own[left]
    left, right = left[ok], right[ok]
    shared = shapely.length(shapely.intersection(shapely.boundary(pieces[left]),
                                                 shapely.boundary(main[right])))
    ok = shared >= cells_mod.MIN_SHARED_M
    left, right, shared = left[ok], right[ok], shared[ok]
    target = np.full(len(pieces), -1, dtype=np.int64)
    order = np.argsort(shared)
    target[left[order]] = right[order]
    return target
