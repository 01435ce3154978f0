"""The walking network: read OSM or line files, node them, load pgRouting-ready edges.

``road_node``/``road_edge`` hold lon/lat (EPSG:4490) geometries; ``length_m``, ``cost`` and
``reverse_cost`` are metres measured in a metric CRS (the CGCS2000 Gauss-Kruger zone of the
data in China, UTM elsewhere). Walking ignores one-way tags, so ``reverse_cost == cost``.
Edges carry the id of their connected component, 0 for the largest; routing starts only
from component 0 (the others are reported, not used).

Noding choice: line files are noded with GEOS (``shapely.union_all`` on a 1 cm precision
grid, one vectorised call): it splits every line where it crosses or touches another and
dissolves duplicated overlaps, in-process, without a round trip per line (``ST_Node`` would
do the same in the database; ``pgr_nodeNetwork`` is deprecated and slow). OSM data already
says where ways meet (shared node ids), so an OSM frame with ``u``/``v`` columns keeps that
topology instead: a bridge over a street is then not joined to it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import crs as gcrs
from gis.core import frames
from gis.core.errors import InvalidInput, MalformedFile

WALKABLE: Final = frozenset({
    "footway", "path", "pedestrian", "steps", "crossing", "living_street", "residential",
    "service", "unclassified", "tertiary", "tertiary_link", "secondary", "secondary_link",
    "primary", "primary_link", "road", "cycleway", "track",
})
"""OSM ``highway`` values a person may walk on (motorway and trunk are left out)."""
NODING_GRID_M: Final = 0.01
"""Precision grid (metres) for noding: ends closer than this are the same node."""


NO_NETWORK: Final = ("no walking network is loaded: run `gridmap import roads FILE` "
                     "(or `gridmap demo`) first")


def metric_crs(frame: gpd.GeoDataFrame) -> str:
    """The metric CRS (``EPSG:n``, ``gcrs.metric_epsg``) for the centre of lon/lat ``frame``."""
    return f"EPSG:{gcrs.metric_epsg_of(frame.total_bounds)}"


def network_srid(session: Session) -> int:
    """The metric CRS of the loaded network (from the centre of its nodes' extent)."""
    row = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                               "FROM (SELECT ST_Extent(geom) AS e FROM road_node) x")).one()
    if row[0] is None:
        raise InvalidInput(NO_NETWORK)
    return gcrs.metric_epsg_of(row)


def frame_from_osm(path: str | Path) -> gpd.GeoDataFrame:
    """Walkable ways of an ``.osm.pbf`` file, split where ways meet, in EPSG:4490.

    Columns: kind (the OSM highway value), name, u, v (OSM node ids at the ends), geometry.
    Keeps the WALKABLE highway kinds and drops ``foot=no`` and ``access=private|no``
    (unless foot is explicitly allowed). Read with pyrosm, whose walking filter splits ways
    at shared nodes.
    """
    import pyrosm  # heavy (protobuf, cython): only the OSM path needs it

    try:
        _, edges = pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)
    except (OSError, ValueError, RuntimeError) as exc:
        raise MalformedFile(f"could not read OpenStreetMap file {Path(path).name}: "
                            f"{type(exc).__name__}") from exc
    if edges is None or edges.empty:
        raise MalformedFile(f"no walkable ways in {Path(path).name}")
    tags = edges.get("tags")
    foot = _tag(edges, tags, "foot")
    access = _tag(edges, tags, "access")
    keep = (edges["highway"].isin(WALKABLE) & (foot != "no")
            & (~access.isin(["private", "no"]) | foot.isin(["yes", "designated"])))
    out = edges.loc[keep, ["highway", "name", "u", "v", "geometry"]]
    out = out.rename(columns={"highway": "kind"}).reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=edges.crs).to_crs(gcrs.STORAGE_SRID)


def _tag(edges: pd.DataFrame, tags: pd.Series | None, key: str) -> pd.Series:
    """A tag as a column: pyrosm keeps common tags as columns and the rest in a JSON dict."""
    if key in edges.columns:
        return edges[key].fillna("").astype(str)
    if tags is None:
        return pd.Series("", index=edges.index)
    import json

    def pick(value: object) -> str:
        if isinstance(value, str) and value:
            return str(json.loads(value).get(key, ""))
        return str(value.get(key, "")) if isinstance(value, dict) else ""

    return tags.map(pick)


@dataclass(frozen=True)
class Noded:
    """A noded network in lon/lat: edges (source, target, length_m, kind, name, geometry)
    and nodes (id, geometry); node ids are stable (ordered by coordinates)."""

    edges: gpd.GeoDataFrame
    nodes: gpd.GeoDataFrame


def noded_from_lines(frame: gpd.GeoDataFrame, *, metric: str | None = None) -> Noded:
    """Node lon/lat lines (EPSG:4490) into edges and nodes; lengths in metres.

    Uses the ``u``/``v`` columns as topology when present (OSM), else GEOS noding.
    """
    if frame.empty:
        raise InvalidInput("the road file holds no lines")
    frame = frame.to_crs(gcrs.STORAGE_SRID).explode(index_parts=False)
    frame = frame[frame.geometry.geom_type == "LineString"].reset_index(drop=True)
    if frame.empty:
        raise InvalidInput("the road file holds no line geometries (LineString)")
    metric = metric or metric_crs(frame)
    lines = frame.to_crs(metric)
    if {"u", "v"} <= set(frame.columns) and len(frame) == len(lines):
        pieces = lines
    else:
        pieces = _node_geometrically(lines)
    pieces = pieces[shapely.length(pieces.geometry.values) > 0].reset_index(drop=True)
    return _with_nodes(pieces, metric)


def _node_geometrically(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Split metric lines where they meet (one GEOS union), carrying kind/name across."""
    merged = shapely.union_all(lines.geometry.values, grid_size=NODING_GRID_M)
    parts = shapely.get_parts(merged)
    parts = parts[shapely.get_type_id(parts) == 1]
    # each piece takes the attributes of the input line its midpoint lies on (nearest)
    mid = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    tree = shapely.STRtree(lines.geometry.values)
    which = tree.query_nearest(mid, return_distance=False, all_matches=False)[1]
    attrs = lines.drop(columns=lines.geometry.name).iloc[which].reset_index(drop=True)
    keep = [c for c in ("kind", "name") if c in attrs.columns]
    return gpd.GeoDataFrame(attrs[keep], geometry=parts, crs=lines.crs)


def _with_nodes(pieces: gpd.GeoDataFrame, metric: str) -> Noded:
    """Nodes are the distinct end points (rounded to the noding grid), ids ordered by x, y."""
    geoms = pieces.geometry.values
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(geoms, 0)),
                      shapely.get_coordinates(shapely.get_point(geoms, -1))])
    keys = np.round(ends / NODING_GRID_M).astype(np.int64)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)  # sorted: stable ids
    inverse = inverse.ravel()
    n = len(pieces)
    node_xy = uniq.astype(float) * NODING_GRID_M
    nodes = gpd.GeoDataFrame({"id": np.arange(1, len(uniq) + 1)},
                             geometry=shapely.points(node_xy), crs=metric)
    edges = gpd.GeoDataFrame({
        "id": np.arange(1, n + 1),
        "source": inverse[:n] + 1, "target": inverse[n:] + 1,
        "length_m": shapely.length(geoms),
        "kind": pieces["kind"].astype(object) if "kind" in pieces else None,
        "name": pieces["name"].astype(object) if "name" in pieces else None,
    }, geometry=geoms, crs=metric)
    edges["component"] = components_of(edges["source"].to_numpy(), edges["target"].to_numpy(),
                                       len(nodes))[edges["source"].to_numpy() - 1]
    return Noded(edges=edges.to_crs(gcrs.STORAGE_SRID), nodes=nodes.to_crs(gcrs.STORAGE_SRID))


def components_of(source: npt.NDArray[np.int64], target: npt.NDArray[np.int64],
                  n_nodes: int) -> npt.NDArray[np.int64]:
    """Component per node (ids 1..n_nodes), numbered by size: 0 is the largest."""
    graph = coo_matrix((np.ones(len(source)), (source - 1, target - 1)),
                       shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    rank = np.empty_like(sizes)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    return rank[labels]


def load_roads(session: Session, frame: gpd.GeoDataFrame) -> dict:
    """Replace the walking network with ``frame``'s lines (EPSG:4490); flush, no commit.

    Nodes the lines, measures metres, writes road_node/road_edge by COPY with
    cost = reverse_cost = length_m and a component id per edge (0 = largest). Returns a
    report: edges, nodes, components, largest_component_share (of edge length),
    other_components (edge count and metres of each small part), length_km, network_version.
    """
    noded = noded_from_lines(frame)
    edges = noded.edges.assign(cost=noded.edges["length_m"],
                               reverse_cost=noded.edges["length_m"])
    session.execute(text("DELETE FROM road_edge"))
    session.execute(text("DELETE FROM road_node"))
    session.flush()
    frames.copy_frame(session, noded.nodes.rename_geometry("geom"), "road_node", ["id", "geom"])
    frames.copy_frame(session, edges.rename_geometry("geom"), "road_edge",
                      ["id", "source", "target", "length_m", "cost", "reverse_cost", "kind",
                       "name", "component", "geom"])
    return _report(session, edges, len(noded.nodes))


def _report(session: Session, edges: gpd.GeoDataFrame, n_nodes: int) -> dict:
    by_comp = edges.groupby("component")["length_m"].agg(["count", "sum"])
    total = float(by_comp["sum"].sum())
    others = [{"component": int(c), "edges": int(r["count"]), "length_m": round(r["sum"], 1)}
              for c, r in by_comp.iloc[1:].iterrows()]
    return {
        "edges": len(edges), "nodes": n_nodes, "components": len(by_comp),
        "largest_component_share": round(float(by_comp["sum"].iloc[0]) / total, 4)
        if total else 0.0,
        "largest_component_edges": int(by_comp["count"].iloc[0]),
        "other_components": others[:50],
        "length_km": round(total / 1000, 3),
        "network_version": network_version(session),
    }


def refresh_components(session: Session) -> int:
    """Renumber every edge's component (0 = largest), e.g. after edges were added by SQL
    without one; one read, one set-based UPDATE. Returns the number of components."""
    df = frames.frame_from_sql(session, "SELECT id, source, target FROM road_edge",
                               geom_col=None)
    ends = np.concatenate([df["source"].to_numpy(), df["target"].to_numpy()])
    node_ids, inverse = np.unique(ends, return_inverse=True)
    n = len(df)
    comp = components_of(inverse[:n] + 1, inverse[n:] + 1, len(node_ids))[inverse[:n]]
    session.execute(text(
        "UPDATE road_edge e SET component = c.component FROM unnest(CAST(:ids AS bigint[]), "
        "CAST(:comps AS bigint[])) AS c(id, component) WHERE e.id = c.id"),
        {"ids": df["id"].astype(int).tolist(), "comps": comp.astype(int).tolist()})
    session.flush()
    return int(comp.max()) + 1 if len(comp) else 0


def network_version(session: Session) -> int:
    """A fingerprint of road_edge (count, ids, ends, costs) as a positive 31-bit integer.

    Cached service areas keep the version they were computed on; any load or edit of the
    network changes it (no extra table or trigger needed; one aggregate over the edges).
    """
    row = session.execute(text(
        "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id * 7 + source * 3 + target), 0),"
        " coalesce(round(sum(cost * (1 + id % 97))::numeric, 3), 0),"
        " coalesce(round(sum(reverse_cost)::numeric, 3), 0) FROM road_edge")).one()
    digest = hashlib.sha1(repr(tuple(str(v) for v in row)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Graph:
    """The usable network (component 0) as arrays; ``node_ids`` maps rows to road_node ids.

    ``geom`` holds the edges as shapely lines in the metric CRS ``srid`` (for snapping).
    """

    edge_id: npt.NDArray[np.int64]
    source: npt.NDArray[np.int64]  # row index, not road_node id
    target: npt.NDArray[np.int64]
    length: npt.NDArray[np.float64]
    node_ids: npt.NDArray[np.int64]
    geom: npt.NDArray[np.object_]
    srid: int

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geom)

    def matrix(self, extra_rows: int = 0) -> csr_matrix:
        """Directed adjacency with both directions (walking), plus empty rows for sources."""
        n = self.n_nodes + extra_rows
        rows = np.concatenate([self.source, self.target])
        cols = np.concatenate([self.target, self.source])
        # zero-length edges would vanish from a sparse matrix; a micrometre keeps them
        weights = np.maximum(np.concatenate([self.length, self.length]), 1e-6)
        return csr_matrix((weights, (rows, cols)), shape=(n, n))


def read_graph(session: Session,
               bbox: tuple[float, float, float, float] | None = None) -> Graph:
    """Read the largest component once, for scipy shortest paths (metres) and snapping.

    ``bbox`` (xmin, ymin, xmax, ymax, EPSG:4490) keeps only the edges touching it (GiST
    ``&&``); when none does, the whole component is read. With ``bbox`` nothing outside it
    is read (a subdistrict's request costs its reach, not the city): the metric CRS is the
    one of the box's centre (the same zone as the network's for a network within one
    3-degree zone), and components are renumbered when an edge in the box has none (an
    edge added elsewhere by SQL is noticed by the next read without a box). Raises
    InvalidInput (``NO_NETWORK``) when no network is loaded: the one check that every
    walking computation (circles, coverage, siting) goes through.
    """
    near = (" AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)" if bbox else "")
    box = dict(zip(("x0", "y0", "x1", "y1"), bbox or (0.0,) * 4, strict=True))
    srid = gcrs.metric_epsg_of(bbox) if bbox else network_srid(session)
    if session.execute(text("SELECT EXISTS (SELECT 1 FROM road_edge WHERE component IS NULL"
                            f"{near})"), box).scalar():
        refresh_components(session)
    df = frames.frame_from_sql(
        session, "SELECT id, source, target, length_m, ST_AsBinary(ST_Transform(geom, :srid))"
        f" AS wkb FROM road_edge WHERE component = 0{near} ORDER BY id",
        {"srid": srid, **box}, geom_col=None)
    ends = np.concatenate([df["source"].to_numpy(), df["target"].to_numpy()])
    node_ids, inverse = np.unique(ends, return_inverse=True)
    n = len(df)
    if not n and bbox:
        return read_graph(session)
    if not n:
        raise InvalidInput(NO_NETWORK)
    return Graph(edge_id=df["id"].to_numpy(), source=inverse[:n], target=inverse[n:],
                 length=df["length_m"].to_numpy(dtype=float), node_ids=node_ids,
                 geom=shapely.from_wkb(df["wkb"].map(bytes).to_numpy()), srid=srid)
