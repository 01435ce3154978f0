"""Noding street lines into a pgRouting-ready walking network (nodes, edges with source/target).

Works in any metric CRS (the demo calls it in local metres). The lines are noded with one
``union_all`` (GEOS splits them at every crossing), each piece takes the kind and name of the
line it came from, and nodes are the distinct end points (rounded to a millimetre).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def node_lines(lines: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """(nodes, edges) from ``lines`` (columns kind, name; metres).

    nodes: node (0-based), geometry. edges: source, target, length_m, kind, name, component,
    geometry; cost and reverse_cost are the length (walking ignores one-way streets).
    """
    src = np.asarray(lines.geometry)
    pieces = np.asarray(shapely.get_parts(shapely.union_all(src)))
    pieces = pieces[shapely.length(pieces) > 0.01]
    # the line a piece came from: the nearest original line to the piece's midpoint
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    origin = shapely.STRtree(src).query_nearest(mid, all_matches=False)[1]
    ends = np.c_[shapely.get_coordinates(shapely.get_point(pieces, 0)),
                 shapely.get_coordinates(shapely.get_point(pieces, -1))].reshape(-1, 2)
    uniq, inverse = np.unique(np.round(ends, 3), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    length = shapely.length(pieces)
    edges = gpd.GeoDataFrame({
        "source": inverse[:, 0], "target": inverse[:, 1], "length_m": length,
        "cost": length, "reverse_cost": length,
        "kind": lines["kind"].to_numpy()[origin], "name": lines["name"].to_numpy()[origin],
    }, geometry=pieces, crs=lines.crs)
    edges["component"] = components(edges["source"].to_numpy(), edges["target"].to_numpy(),
                                    len(uniq))
    nodes = gpd.GeoDataFrame({"node": np.arange(len(uniq))},
                             geometry=shapely.points(uniq), crs=lines.crs)
    return nodes, edges


def components(source: np.ndarray, target: np.ndarray, n_nodes: int) -> np.ndarray:
    """Connected component of each edge, numbered by size (0 = the largest)."""
    graph = coo_matrix((np.ones(source.size), (source, target)), shape=(n_nodes, n_nodes))
    _, label = connected_components(graph, directed=False)
    sizes = pd.Series(label).value_counts()
    rank = pd.Series(np.arange(len(sizes)), index=sizes.index)
    return rank.loc[label[source]].to_numpy()
