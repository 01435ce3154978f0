"""Building atoms as cells that tile their community, and the adjacency between them.

Adjacency used by every plan (stated once, here): two buildings of one community are
adjacent when their **cells share a boundary of positive length** (rook contiguity), where
a building's cell is the union of the Voronoi cells of points sampled every ``segment_m``
metres along its outline, clipped to its community. On open ground that is the Delaunay
neighbourhood of the buildings (lanes and blocks between them included); cells are cut by
water (rivers, lakes), so two buildings facing each other across a river are not adjacent.
The shared boundary length (metres) is the edge weight: METIS keeps long shared boundaries
inside one grid, which is what makes the grids compact.

Why outlines and not centroids: a large building's centroid cell can leave parts of the
building in a neighbour's cell; with outline samples a building lies inside its own cell
(up to ``segment_m``), so a grid built from cells holds its buildings by most-of-area.

Everything here is pure (no database) and works in a metric CRS (metres), vectorised with
shapely 2: one Voronoi diagram per community (the loop is over communities, each a
vectorised call; cells of different communities must not compete for the same ground).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

SEGMENT_M = 15.0
"""Spacing of outline samples (m): finer follows building shapes better, coarser is faster."""
MIN_SHARED_M = 0.01
"""Cells touching along less than this (m) only meet at a corner: not adjacent (rook)."""


def cells_from_buildings(buildings: gpd.GeoSeries, community: BaseGeometry, *,
                         segment_m: float | None = SEGMENT_M) -> np.ndarray:
    """One cell per building (array of polygons, same order) tiling ``community``.

    ``buildings`` and ``community`` are in one metric CRS. ``segment_m=None`` samples only
    each building's representative point (faster, coarser: city-scale benchmarks).
    """
    geoms = np.asarray(buildings.values, dtype=object)
    n = len(geoms)
    if n == 0:
        return np.empty(0, dtype=object)
    if n == 1:
        return np.array([community], dtype=object)
    if segment_m is None:
        pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
        owner = np.arange(n)
    else:
        outline = shapely.segmentize(shapely.boundary(geoms), segment_m)
        pts, owner = shapely.get_coordinates(outline, return_index=True)
    # shared walls give identical samples: keep the first owner of each point
    _, first = np.unique(np.round(pts, 2), axis=0, return_index=True)
    first.sort()
    pts, owner = pts[first], owner[first]
    diagram = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=community,
                                       ordered=True)
    parts = gpd.GeoDataFrame({"owner": owner}, geometry=shapely.get_parts(diagram))
    merged = parts.dissolve("owner", method="coverage").geometry
    cells = np.full(n, None, dtype=object)
    cells[merged.index.to_numpy()] = shapely.intersection(merged.values, community)
    missing = shapely.is_missing(cells)  # a building whose samples all belong to another
    cells[missing] = geoms[missing]
    return shapely.make_valid(cells)


def adjacency(cells: np.ndarray, *, barrier: BaseGeometry | None = None,
              groups: np.ndarray | None = None) -> sparse.csr_matrix:
    """Symmetric n×n matrix of shared boundary length (m) between cells.

    ``barrier`` (water) is cut out of the cells first, so cells meeting only inside it are not
    adjacent. ``groups`` (e.g. community codes) keeps pairs of different groups apart.
    """
    n = len(cells)
    shapes = cells if barrier is None or barrier.is_empty else shapely.difference(cells, barrier)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    keep = left < right
    if groups is not None:
        keep &= groups[left] == groups[right]
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(shapes[left]),
                                                 shapely.boundary(shapes[right])))
    ok = shared >= MIN_SHARED_M
    left, right, shared = left[ok], right[ok], shared[ok]
    matrix = sparse.coo_matrix((np.r_[shared, shared], (np.r_[left, right], np.r_[right, left])),
                               shape=(n, n))
    return matrix.tocsr()


def label_pieces(adj: sparse.spmatrix, labels: np.ndarray) -> np.ndarray:
    """Per cell, the piece of its label it lies in (-1 where the label is NaN: no grid):
    scipy's connected components over the edges of ``adj`` joining cells of one label.

    A label (grid) is contiguous when all its cells share one piece: the rule the drafts
    keep (gis.plans.balance, groups) and a manual edit is checked against (refresh).
    """
    labels = np.asarray(labels, dtype="float64")
    edges = adj.tocoo()
    same = labels[edges.row] == labels[edges.col]  # NaN (no label) never equals
    graph = sparse.coo_matrix((np.ones(int(same.sum())), (edges.row[same], edges.col[same])),
                              shape=edges.shape)
    _, comp = connected_components(graph, directed=False)
    return np.where(np.isnan(labels), -1, comp)


def pieces_per_label(adj: sparse.spmatrix, labels: np.ndarray) -> pd.Series:
    """How many pieces (label_pieces) the cells of each label form; index: label (int)."""
    labels = np.asarray(labels, dtype="float64")
    comp = label_pieces(adj, labels)
    placed = comp >= 0
    return pd.Series(comp[placed]).groupby(labels[placed].astype(np.int64)).nunique()


def polsby_popper(geoms: np.ndarray) -> np.ndarray:
    """Polsby-Popper compactness 4πA/P² per polygon (1 for a disc, → 0 for a thin strip)."""
    area, perimeter = shapely.area(geoms), shapely.length(geoms)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = 4 * np.pi * area / perimeter**2
    return np.where(perimeter > 0, pp, np.nan)
