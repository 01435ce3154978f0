"""Walking distances on the network: snapping points to edges and multi-source Dijkstra.

All distances are metres along the network (lengths measured in the metric CRS). A start
point sits part-way along an edge; it joins the graph as a virtual node with one-way links
to that edge's two ends (weights fraction·length and (1−fraction)·length), so one scipy
``dijkstra`` call serves one or many starts, and no path can pass through a start.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from gis.core.crs import STORAGE_SRID
from gis.network import roads

MAX_SNAP_M: Final = 200.0
"""A point farther than this from the usable network is refused (or reported off-network)."""

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]



@dataclass(frozen=True)
class Snaps:
    """Points snapped to edges: row index into the Graph's edge arrays, fraction, metres."""

    edge_row: Ints
    fraction: Floats
    snap_m: Floats

    def rows(self, start: int, stop: int) -> Snaps:
        """The snaps ``start:stop`` (views, not copies)."""
        return Snaps(self.edge_row[start:stop], self.fraction[start:stop],
                     self.snap_m[start:stop])


def snap(graph: roads.Graph, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Snaps:
    """Snap lon/lat points (EPSG:4490) to the nearest usable edge, measured in metres.

    Vectorised in shapely on the graph's metric lines (one STRtree query for all points);
    the database's ST_Transform per point was a thousand times slower. Points with no edge
    get ``snap_m = inf`` (the caller decides to refuse or skip).
    """
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    if not len(graph.edge_id) or not len(lon):
        return Snaps(np.full(len(lon), -1, dtype=np.int64), np.zeros(len(lon)),
                     np.full(len(lon), np.inf))
    x, y = _to_metric(graph.srid).transform(lon, lat)
    # arrays in, an array out (the stubs' overload for array-likes also allows one Point)
    pts = cast(npt.NDArray[np.object_], shapely.points(np.asarray(x), np.asarray(y)))
    (which, row), dist = graph.tree.query_nearest(pts, return_distance=True, all_matches=False)
    edge_row = np.full(len(lon), -1, dtype=np.int64)
    snap_m = np.full(len(lon), np.inf)
    edge_row[which], snap_m[which] = row, dist
    fraction = np.zeros(len(lon))
    fraction[which] = shapely.line_locate_point(graph.geom[row], pts[which], normalized=True)
    return Snaps(edge_row, fraction, snap_m)


@cache
def _to_metric(srid: int) -> Transformer:
    return Transformer.from_crs(STORAGE_SRID, srid, always_xy=True)


def _with_starts(graph: roads.Graph, snaps: Snaps) -> csr_matrix:
    """The graph plus one virtual node per start, linked one-way to its edge's ends."""
    n, k = graph.n_nodes, len(snaps.edge_row)
    length = graph.length[snaps.edge_row]
    base = graph.matrix(extra_rows=k).tocoo()
    start = np.arange(n, n + k)
    rows = np.concatenate([base.row, start, start])
    cols = np.concatenate([base.col, graph.source[snaps.edge_row],
                           graph.target[snaps.edge_row]])
    weights = np.concatenate([base.data, np.maximum(snaps.fraction * length, 1e-6),
                              np.maximum((1 - snaps.fraction) * length, 1e-6)])
    return csr_matrix((weights, (rows, cols)), shape=(n + k, n + k))


def distances_from(graph: roads.Graph, snaps: Snaps, *, limit: float = np.inf) -> Floats:
    """Metres from each start to each node, shape (starts, nodes); inf beyond ``limit``."""
    matrix = _with_starts(graph, snaps)
    starts = np.arange(graph.n_nodes, graph.n_nodes + len(snaps.edge_row))
    dist = dijkstra(matrix, directed=True, indices=starts, limit=limit)
    return np.atleast_2d(dist)[:, :graph.n_nodes]


def nearest_start(graph: roads.Graph, snaps: Snaps,
                  *, limit: float = np.inf) -> tuple[Floats, Ints]:
    """One multi-source run: metres from the nearest start to each node, and which start.

    Returns (distance per node, index of the start per node or -1 when unreached).
    """
    matrix = _with_starts(graph, snaps)
    n = graph.n_nodes
    starts = np.arange(n, n + len(snaps.edge_row))
    dist, _, sources = dijkstra(matrix, directed=True, indices=starts, limit=limit,
                                min_only=True, return_predecessors=True)
    which = np.where(sources[:n] >= 0, sources[:n] - n, -1)
    return dist[:n], which.astype(np.int64)


def point_distances(graph: roads.Graph, node_dist: Floats, points: Snaps) -> Floats:
    """Metres to snapped ``points`` given distances at the nodes (either end of their edge).

    ``node_dist`` is one row per start (2-D) or a single vector; the snap distance of the
    points themselves is not added here.
    """
    node_dist = np.atleast_2d(node_dist)
    row = np.maximum(points.edge_row, 0)
    length = graph.length[row]
    via_u = node_dist[:, graph.source[row]] + points.fraction * length
    via_v = node_dist[:, graph.target[row]] + (1 - points.fraction) * length
    out = np.minimum(via_u, via_v)
    out[:, points.edge_row < 0] = np.inf
    return out


def same_edge_distances(graph: roads.Graph, starts: Snaps, points: Snaps) -> Floats:
    """Metres between starts and points lying on the same edge (inf elsewhere), (starts, pts).

    A walk between two points of one edge need not reach either end; only pairs that share
    an edge are computed (a sparse join, not a dense product).
    """
    out = np.full((len(starts.edge_row), len(points.edge_row)), np.inf)
    s = pd.DataFrame({"edge": starts.edge_row, "fs": starts.fraction,
                      "si": np.arange(len(starts.edge_row))})
    p = pd.DataFrame({"edge": points.edge_row, "fp": points.fraction,
                      "pi": np.arange(len(points.edge_row))})
    pairs = s[s.edge >= 0].merge(p[p.edge >= 0], on="edge")
    length = graph.length[pairs["edge"].to_numpy()]
    out[pairs["si"].to_numpy(), pairs["pi"].to_numpy()] = \
        np.abs(pairs["fs"].to_numpy() - pairs["fp"].to_numpy()) * length
    return out


def reached_pieces(graph: roads.Graph, node_dist: Floats, budget: float,
                   start: Snaps | None = None) -> pd.DataFrame:
    """Parts of edges within ``budget`` metres: edge_id, a, b (fractions along the edge).

    An edge whose ends are reached is taken whole when every point on it is within the
    budget ((B−du) + (B−dv) ≥ L, which holds for cycle edges outside the shortest-path
    tree too), else as the part reached from each end; the start's own edge adds the part
    around the start. Pure numpy, one pass over all edges.
    """
    du, dv, length = node_dist[graph.source], node_dist[graph.target], graph.length
    with np.errstate(invalid="ignore", divide="ignore"):
        reach_u = np.where(du <= budget, np.clip((budget - du) / length, 0, 1), -1.0)
        reach_v = np.where(dv <= budget, np.clip((budget - dv) / length, 0, 1), -1.0)
    whole = (reach_u >= 0) & (reach_v >= 0) & (reach_u + reach_v >= 1)
    from_u = np.flatnonzero(~whole & (reach_u > 0))
    from_v = np.flatnonzero(~whole & (reach_v > 0))
    all_rows = np.flatnonzero(whole)
    frames = [pd.DataFrame({"row": all_rows, "a": 0.0, "b": 1.0}),
              pd.DataFrame({"row": from_u, "a": 0.0, "b": reach_u[from_u]}),
              pd.DataFrame({"row": from_v, "a": 1 - reach_v[from_v], "b": 1.0})]
    if start is not None and len(start.edge_row):
        half = budget / graph.length[start.edge_row]
        frames.append(pd.DataFrame({"row": start.edge_row,
                                    "a": np.clip(start.fraction - half, 0, 1),
                                    "b": np.clip(start.fraction + half, 0, 1)}))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["b"] > out["a"]]
    return pd.DataFrame({"edge_id": graph.edge_id[out["row"].to_numpy()],
                         "a": out["a"].to_numpy(dtype=float),
                         "b": out["b"].to_numpy(dtype=float)})
