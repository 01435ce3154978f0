"""Benchmark: walking circles and coverage on the demo district, three methods in one run.

  ours      scipy multi-start Dijkstra from the snapped entrance (a point on an edge), every
            edge part within the budget cut with ST_LineSubstring, 25 m buffer, union,
            small holes filled (gis.network.circles)
  pgrouting pgr_drivingDistance from the nearest vertex, then by hand: edges whose both
            ends are reached, 25 m buffer, union (the usual pgRouting recipe), one SQL each
  networkx  nx.single_source_dijkstra_path_length from the nearest node with cutoff, the
            reached subgraph's edges buffered by 25 m and unioned (the OSMnx isochrone way)

Area agreement is IoU against ours; time is wall clock for one isochrone and for all demo
facilities. Coverage: every demo building's walking distance to its nearest facility, per
type, one multi-source run each. Writes bench/results/circles.json; run with
``python -m bench circles`` or ``python bench/circles/run.py``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gis import demo  # noqa: E402
from gis.core import frames  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.network import circles, coverage, roads, siting, walking  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

BUDGET = 500.0
PGR_SQL = """
WITH dd AS (
  SELECT node, agg_cost FROM pgr_drivingDistance(
    'SELECT id, source, target, cost, reverse_cost FROM road_edge WHERE component = 0',
    :start, :budget, directed => false))
SELECT ST_AsBinary(ST_Union(ST_Buffer(ST_Transform(e.geom, :srid), 25, 4)))
FROM road_edge e JOIN dd a ON a.node = e.source JOIN dd b ON b.node = e.target
"""


def ours(session: Session, graph: roads.Graph, snaps: walking.Snaps) -> list:
    return circles.circles_from_walks(session, graph, snaps, BUDGET, srid=graph.srid)


def nearest_nodes(graph: roads.Graph, snaps: walking.Snaps) -> np.ndarray:
    """Row of the nearer end of each snapped edge (both baselines start at a vertex)."""
    row = snaps.edge_row
    return np.where(snaps.fraction <= 0.5, graph.source[row], graph.target[row])


def pgrouting(session: Session, graph: roads.Graph, starts: np.ndarray) -> list:
    out = []
    for node in graph.node_ids[starts]:  # one pgRouting call per facility, as users do it
        wkb = session.execute(text(PGR_SQL), {"start": int(node), "budget": BUDGET,
                                              "srid": graph.srid}).scalar_one()
        out.append(shapely.from_wkb(bytes(wkb)) if wkb else shapely.Polygon())
    return out


def networkx_osmnx(graph: roads.Graph, starts: np.ndarray) -> list:
    g = nx.Graph()
    for i, (u, v, length) in enumerate(zip(graph.source, graph.target, graph.length,
                                           strict=True)):
        g.add_edge(int(u), int(v), length=float(length), geom=graph.geom[i])
    out = []
    for node in starts:
        reached = nx.single_source_dijkstra_path_length(g, int(node), cutoff=BUDGET,
                                                        weight="length")
        sub = g.subgraph(reached)
        lines = [d["geom"] for _, _, d in sub.edges(data=True)]
        out.append(shapely.union_all(shapely.buffer(lines, 25, quad_segs=4)))
    return out


def iou(a: list, b: list) -> np.ndarray:
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    inter = shapely.area(shapely.intersection(a, b))
    union = shapely.area(shapely.union(a, b))
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 1.0)


def timed(fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def run_circles(session: Session) -> dict:
    graph = roads.read_graph(session)
    facs = frames.frame_from_sql(session, "SELECT id, ST_X(p) lon, ST_Y(p) lat FROM facility,"
                                 " LATERAL (SELECT coalesce(entrance, ST_PointOnSurface(geom)) p)"
                                 " s ORDER BY id", geom_col=None)
    snaps = walking.snap(graph, facs["lon"], facs["lat"])
    starts = nearest_nodes(graph, snaps)
    one = walking.Snaps(snaps.edge_row[:1], snaps.fraction[:1], snaps.snap_m[:1])
    results: dict = {"facilities": len(facs), "edges": len(graph.edge_id),
                     "nodes": graph.n_nodes, "budget_m": BUDGET, "methods": {}}
    ours_all, t_ours = timed(ours, session, graph, snaps)
    for name, fn, args_one, args_all in (
            ("ours (scipy + ST_LineSubstring)", ours, (session, graph, one),
             (session, graph, snaps)),
            ("pgRouting pgr_drivingDistance + edge buffer", pgrouting,
             (session, graph, starts[:1]), (session, graph, starts)),
            ("networkx single_source_dijkstra + buffer (OSMnx)", networkx_osmnx,
             (graph, starts[:1]), (graph, starts))):
        _, t_one = timed(fn, *args_one)
        polys, t_all = (ours_all, t_ours) if fn is ours else timed(fn, *args_all)
        score = iou(ours_all, polys)
        results["methods"][name] = {
            "one_isochrone_s": round(t_one, 4), "all_facilities_s": round(t_all, 3),
            "iou_vs_ours_mean": round(float(score.mean()), 4),
            "iou_vs_ours_min": round(float(score.min()), 4),
            "mean_area_m2": round(float(np.mean(shapely.area(np.asarray(polys, dtype=object)))),
                                  0)}
    return results


EQUICOST_SQL = """
SELECT node, from_v, agg_cost FROM pgr_drivingDistance(
  'SELECT id, source, target, cost, reverse_cost FROM road_edge WHERE component = 0',
  CAST(:starts AS bigint[]), 1e9, directed => false, equicost => true)
"""


def check_against_pgrouting(session: Session, t: str) -> dict:
    """Nearest-facility distances per node: scipy (ours) vs pgr_drivingDistance equicost,
    both from the facilities' nearest vertices."""
    graph = roads.read_graph(session)
    facs = frames.frame_from_sql(session, "SELECT ST_X(p) lon, ST_Y(p) lat FROM facility, "
                                 "LATERAL (SELECT coalesce(entrance, ST_PointOnSurface(geom)) p)"
                                 " s WHERE type = :t", {"t": t}, geom_col=None)
    snaps = walking.snap(graph, facs["lon"], facs["lat"])
    rows = np.unique(nearest_nodes(graph, snaps))
    at_nodes = walking.Snaps(*(np.asarray(a) for a in _node_snaps(graph, rows)))
    (ours_d, _), t_ours = timed(walking.nearest_start, graph, at_nodes)
    rows_pg, t_pg = timed(lambda: session.execute(text(EQUICOST_SQL), {
        "starts": graph.node_ids[rows].tolist()}).all())
    pg = {int(n): c for n, _, c in rows_pg}
    diff = [abs(ours_d[i] - pg[int(nid)]) for i, nid in enumerate(graph.node_ids)
            if int(nid) in pg]
    g = nx.MultiGraph()
    g.add_weighted_edges_from(zip(graph.source.tolist(), graph.target.tolist(),
                                  graph.length.tolist(), strict=True), weight="length")
    nxd, t_nx = timed(nx.multi_source_dijkstra_path_length, g, rows.tolist(), None, "length")
    diff_nx = [abs(ours_d[i] - c) for i, c in nxd.items()]
    return {"nodes_compared": len(diff),
            "max_abs_diff_vs_pgrouting_m": round(float(max(diff)), 3),
            "nodes_differing_vs_pgrouting_over_1m": int(sum(d > 1 for d in diff)),
            "max_abs_diff_vs_networkx_m": round(float(max(diff_nx)), 6),
            "scipy_s": round(t_ours, 4), "pgrouting_equicost_s": round(t_pg, 4),
            "networkx_multi_source_s": round(t_nx, 4)}


def _node_snaps(graph: roads.Graph, rows: np.ndarray) -> tuple:
    from gis.network.siting import _node_starts  # starts placed exactly on nodes

    s = _node_starts(graph, rows)
    return s.edge_row, s.fraction, s.snap_m


def run_coverage(session: Session) -> dict:
    out: dict = {"scipy_vs_pgrouting_equicost": check_against_pgrouting(session,
                                                                        "party_center")}
    types = [t for (t,) in session.execute(text("SELECT DISTINCT type FROM facility ORDER BY 1"))]
    for t in types:
        started = time.perf_counter()
        frame = coverage.coverage_frame(session, type=t)
        out[t] = {"buildings": len(frame), "seconds": round(time.perf_counter() - started, 3),
                  "rate": coverage.summary_of(frame)["rate"]}
    return out


def exact_mclp(cover: np.ndarray, weights: np.ndarray, k: int) -> float | None:
    """The optimum of the same maximal-covering problem with spopt's MCLP and CBC (PuLP)."""
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:  # spopt is a dev extra; the bench still runs without it
        return None
    cost = np.where(cover.T, 0.0, 1.0)  # clients x candidates: 0 = within the budget
    model = MCLP.from_cost_matrix(cost, weights, service_radius=0.5, p_facilities=k)
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=120))
    chosen = [j for j, var in enumerate(model.fac_vars) if var.value() > 0.5]
    return float(weights[cover[chosen].any(axis=0)].sum())


def run_sites(session: Session, k: int = 3) -> dict:
    """Greedy picks vs the exact MCLP optimum on the demo's uncovered households."""
    out = {}
    for t in ("party_center", "clinic", "elderly_care"):
        todo = siting.uncovered(coverage.coverage_frame(session, type=t))
        (cover, _), t_problem = timed(siting.cover_problem, session, todo, BUDGET)
        weights = todo["households"].to_numpy(dtype=float)
        picks, t_greedy = timed(siting.greedy, cover, weights, k)
        optimum, t_exact = timed(exact_mclp, cover, weights, k)
        got = float(sum(weights[newly].sum() for _, newly in picks))
        out[t] = {"candidates": int(cover.shape[0]), "uncovered_buildings": len(todo),
                  "k": k, "greedy_households": got, "mclp_households": optimum,
                  "greedy_share_of_optimum": round(got / optimum, 4) if optimum else None,
                  "problem_s": round(t_problem, 3), "greedy_s": round(t_greedy, 4),
                  "mclp_s": round(t_exact, 3)}
    return out


def main() -> dict:
    base = Settings()
    engine = dbs.migrated_database(base, "bench_circles")
    try:
        demo.load_demo(engine, seed=42)
        with Session(engine) as session:
            result = {"machine": f"{platform.machine()} {platform.python_version()}",
                      "circles": run_circles(session), "coverage": run_coverage(session),
                      "sites": run_sites(session)}
            session.rollback()
    finally:
        dbs.drop_database(base, engine)
    path = ROOT / "bench" / "results" / "circles.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
