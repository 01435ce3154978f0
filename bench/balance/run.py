"""Benchmark: redrawing grids of 300–500 households from building atoms, three ways.

  ours        gis.plans: METIS (pymetis, contiguous, vertex weight = households, edge weight =
              shared cell boundary) with k between ceil(H/500) and floor(H/300), then the
              boundary-move refinement (both bounds, contiguity, Polsby-Popper); per community.
              Also ``ours_balance``: the minimal-change balance plan (only grids out of range and
              the neighbours they need are redrawn).
  maxp        spopt MaxPHeuristic with a household floor of 300 (it has no ceiling), cell
              centroids as the attributes (compact regions), per community.
  gerrychain  GerryChain recursive_tree_part with pop_target = H/k and epsilon so that
              target ± epsilon = the 300–500 range as far as possible, per community.

Every method gets the same atoms, cells and adjacency (gis.plans.cells: building cells tiling
each community; water cuts adjacency). Figures: share of grids in range, mean Polsby-Popper of
the grid polygons (cells dissolved), buildings moved (relative to the current grids: a
building moves when its new grid's main source is not its old grid), runtime (partitioning
only; cells and adjacency are shared and timed once).

Sets: the demo subdistrict (gis.demo, seed 42) and a generated city of >= 50,000 buildings
(BENCH_BALANCE_COMMUNITIES × ~520 buildings, current grids = 250 m squares). The peers are
time-boxed (BENCH_BALANCE_BUDGET_S seconds per method and set): they run community by
community until the budget is spent, and their figures cover the communities they finished
(reported); ours is also reported on that same subset.

Writes bench/results/balance.json; run with ``python -m bench balance``.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gis import demo  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.grids.household_rules import LoadRules, grid_count  # noqa: E402
from gis.plans import atoms, balance, cells, groups  # noqa: E402
from gis.plans.atoms import Scope  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

BOUNDS = (300, 500)
BUDGET_S = float(os.environ.get("BENCH_BALANCE_BUDGET_S", "120"))
COMMUNITIES = int(os.environ.get("BENCH_BALANCE_COMMUNITIES", "100"))
OUT = ROOT / "bench" / "results" / "balance.json"
Labels = np.ndarray


def community_units(scope: Scope, code: str) -> tuple[np.ndarray, groups.Units]:
    idx = np.flatnonzero((scope.atoms["community_code"] == code).to_numpy())
    geoms = scope.atoms["cell"].to_numpy()[idx]
    units = groups.Units(scope.atoms["households"].to_numpy()[idx], shapely.area(geoms),
                         shapely.length(geoms), shapely.get_coordinates(shapely.centroid(geoms)))
    return idx, units


def connected_graph(scope: Scope, idx: np.ndarray, units: groups.Units):  # type: ignore[no-untyped-def]
    """The community's adjacency with cut-off clusters bridged (all peers need one graph)."""
    adj, _ = groups.bridge_small_components(scope.adjacency[idx][:, idx], units.households,
                                            units.xy, 10**9)
    return adj


def run_ours(scope: Scope, idx: np.ndarray, units: groups.Units) -> Labels:
    return groups.partition_group(scope.adjacency[idx][:, idx], units, BOUNDS).labels


def run_maxp(scope: Scope, idx: np.ndarray, units: groups.Units) -> Labels:
    from libpysal.weights import WSP
    from spopt.region import MaxPHeuristic

    adj = connected_graph(scope, idx, units)
    frame = gpd.GeoDataFrame({"households": units.households.astype(float),
                              "x": units.xy[:, 0], "y": units.xy[:, 1]},
                             geometry=list(scope.atoms["cell"].to_numpy()[idx]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = WSP(adj.tocsr()).to_W(silence_warnings=True)
        model = MaxPHeuristic(frame, w, ["x", "y"], "households", BOUNDS[0], top_n=2,
                              max_iterations_construction=20, max_iterations_sa=5)
        model.solve()
    return np.asarray(model.labels_)


def run_gerrychain(scope: Scope, idx: np.ndarray, units: groups.Units) -> Labels:
    import networkx as nx
    from gerrychain import Graph
    from gerrychain.partition import recursive_tree_part

    adj = connected_graph(scope, idx, units)
    total = float(units.households.sum())
    k = grid_count(int(total), BOUNDS).k
    target = total / k
    epsilon = max(0.01, min((BOUNDS[1] - target) / target, (target - BOUNDS[0]) / target))
    g = nx.from_scipy_sparse_array(adj)
    nx.set_node_attributes(g, dict(enumerate(units.households.astype(float).tolist())),
                           "households")
    parts = recursive_tree_part(Graph.from_networkx(g), range(k), target, "households",
                                epsilon, rng=0)
    return np.array([parts[i] for i in range(len(idx))])


class TimeBox(Exception):
    """The time box of a peer ran out in the middle of a community."""


def _alarm(*_: object) -> None:
    raise TimeBox


def timed_run(scope: Scope, method: Callable, budget: float | None
              ) -> tuple[np.ndarray, float, list[str], str]:
    """Global labels (-1 where not run), seconds, communities done, and a failure note.
    With a ``budget`` a SIGALRM interrupts the method when the budget is spent."""
    labels = np.full(len(scope.atoms), -1, dtype=np.int64)
    spent, done, note, offset = 0.0, [], "", 0
    signal.signal(signal.SIGALRM, _alarm)
    for code in scope.communities["code"]:
        idx, units = community_units(scope, code)
        start = time.perf_counter()
        if budget is not None:
            signal.setitimer(signal.ITIMER_REAL, max(budget - spent, 0.01))
        try:
            local = method(scope, idx, units)
        except TimeBox:
            spent += time.perf_counter() - start
            note = f"time box {budget:.0f} s reached in community {code}"
            break
        except Exception as exc:  # a peer failing on one community is a result, not a crash
            note = f"{code}: {type(exc).__name__}: {str(exc)[:120]}"
            spent += time.perf_counter() - start
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        spent += time.perf_counter() - start
        _, local = np.unique(local, return_inverse=True)
        labels[idx] = offset + local
        offset += int(local.max()) + 1
        done.append(code)
    return labels, spent, done, note


def evaluate(scope: Scope, labels: np.ndarray, mask: np.ndarray) -> dict:
    """Share in range, mean PP, buildings moved, contiguity, over the atoms in ``mask``."""
    sel = mask & (labels >= 0)
    lab = labels[sel]
    h = scope.atoms["households"].to_numpy()[sel]
    frame = gpd.GeoDataFrame({"part": lab}, geometry=list(scope.atoms["cell"].to_numpy()[sel]))
    polys = frame.dissolve("part").geometry.values
    totals = np.bincount(lab, weights=h)[np.unique(lab)]
    old = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)[sel]
    moved = _moved(lab, old, h)
    return {"buildings": int(sel.sum()), "grids": len(totals),
            "share_in_range": round(float(((totals >= BOUNDS[0]) & (totals <= BOUNDS[1]))
                                          .mean()), 4),
            "min_households": int(totals.min()), "max_households": int(totals.max()),
            "mean_compactness": round(float(np.nanmean(cells.polsby_popper(polys))), 4),
            "buildings_moved": int(moved), "discontiguous_grids": _discontiguous(scope, sel, lab)}


def _moved(lab: np.ndarray, old: np.ndarray, h: np.ndarray) -> int:
    frame = pd.DataFrame({"part": lab, "old": old, "h": h + 1e-6}).dropna()
    best = frame.groupby(["part", "old"])["h"].sum().reset_index().sort_values("h")
    main = best.drop_duplicates("part", keep="last").set_index("part")["old"]
    return int((pd.Series(lab).map(main).to_numpy() != old).sum())


def _discontiguous(scope: Scope, sel: np.ndarray, lab: np.ndarray) -> int:
    idx = np.flatnonzero(sel)
    sub = scope.adjacency[idx][:, idx].tocoo()
    same = lab[sub.row] == lab[sub.col]
    from scipy import sparse
    inside = sparse.coo_matrix((sub.data[same], (sub.row[same], sub.col[same])),
                               shape=(len(idx), len(idx)))
    _, comp = connected_components(inside, directed=False)
    pieces = pd.Series(comp).groupby(lab).nunique()
    return int((pieces > 1).sum())


def compare(scope: Scope, label: str) -> dict:
    """All methods on one scope."""
    rules = LoadRules()
    result: dict = {"set": label, "buildings": len(scope.atoms),
                    "communities": len(scope.communities),
                    "households": int(scope.atoms["households"].sum())}
    everything = np.ones(len(scope.atoms), dtype=bool)
    start = time.perf_counter()
    draft = balance.plan_balance(scope, rules)
    seconds = time.perf_counter() - start
    # kept exempt grids (schools, markets: no households) have no range to be in
    exempt = [i for i, row in enumerate(draft.rows) if row["kind"] in rules.exempt_kinds]
    result["ours_balance"] = {"seconds": round(seconds, 2), "exempt_grids_left_out": len(exempt),
                              **evaluate(scope, draft.part, ~np.isin(draft.part, exempt))}
    new = [i for i, row in enumerate(draft.rows) if row["source_grid_id"] is None]
    redrawn = evaluate(scope, draft.part, np.isin(draft.part, new))
    result["ours_balance"]["redrawn_grids"] = redrawn["grids"]
    result["ours_balance"]["redrawn_discontiguous"] = redrawn["discontiguous_grids"]
    result["ours_balance"]["cut_off_grids"] = draft.cut_off
    ours, ours_s, _, _ = timed_run(scope, run_ours, None)
    result["ours"] = {"seconds": round(ours_s, 2), **evaluate(scope, ours, everything)}
    for name, method in (("maxp", run_maxp), ("gerrychain", run_gerrychain)):
        labels, spent, done, note = timed_run(scope, method, BUDGET_S)
        mask = scope.atoms["community_code"].isin(done).to_numpy()
        entry = {"seconds": round(spent, 2), "communities_done": len(done), "note": note}
        if done:
            entry |= evaluate(scope, labels, mask)
            entry["ours_on_same_communities"] = evaluate(scope, ours, mask)
        result[name] = entry
        print(name, json.dumps(entry, ensure_ascii=False), flush=True)
    return result


def demo_scope() -> tuple[Scope, float]:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_balance")
    try:
        demo.load_demo(engine, seed=42)
        with Session(engine) as session:
            start = time.perf_counter()
            scope = atoms.load_scope(session, "320706013000")
            return scope, time.perf_counter() - start
    finally:
        dbs.drop_database(settings, engine)


def city_scope(n_communities: int, seed: int = 1) -> tuple[Scope, float]:
    """A generated city: communities of 1 km², ~520 jittered buildings each (lognormal
    households, mean ≈ 12), current grids = 250 m squares (so some over, some under)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_communities)))
    x0, y0 = 500_000.0, 3_830_000.0  # EPSG:4549 metres near the demo district
    gx, gy = np.meshgrid(np.arange(24) * 41.0 + 10, np.arange(24) * 41.0 + 10)
    frames, communities, grids = [], [], []
    for c in range(n_communities):
        cx, cy = x0 + (c % side) * 1000.0, y0 + (c // side) * 1000.0
        code = f"9{c:011d}"
        keep = rng.random(gx.size) < 0.9
        x = cx + gx.ravel()[keep] + rng.normal(0, 4, keep.sum())
        y = cy + gy.ravel()[keep] + rng.normal(0, 4, keep.sum())
        w, d = rng.uniform(12, 24, keep.sum()), rng.uniform(10, 18, keep.sum())
        hh = np.clip(rng.lognormal(2.2, 0.7, keep.sum()).round(), 1, 120).astype(int)
        cell = ((x - cx) // 250).astype(int) + 4 * ((y - cy) // 250).astype(int)
        gid = c * 16 + cell + 1
        frames.append(pd.DataFrame({"building_id": np.arange(keep.sum()) + c * 1000,
                                    "households": hh, "residents": hh * 3,
                                    "community_code": code, "grid_id": gid,
                                    "geometry": shapely.box(x, y, x + w, y + d)}))
        communities.append({"code": code, "name": code,
                            "geom": shapely.box(cx, cy, cx + 1000, cy + 1000)})
        for j in range(16):
            gx0, gy0 = cx + (j % 4) * 250, cy + (j // 4) * 250
            grids.append({"id": c * 16 + j + 1, "code": f"{code}{j + 1:03d}", "name": "",
                          "theme": "unified", "kind": "residential", "community_code": code,
                          "locked": False, "version": 1,
                          "geom": shapely.box(gx0, gy0, gx0 + 250, gy0 + 250)})
    buildings = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4549)
    buildings["grid_id"] = buildings["grid_id"].astype("Int64")
    scope = Scope(code="city", epsg=4549,
                  communities=gpd.GeoDataFrame(communities, geometry="geom", crs=4549),
                  grids=gpd.GeoDataFrame(grids, geometry="geom", crs=4549), atoms=buildings)
    start = time.perf_counter()
    atoms.attach_cells(scope, segment_m=None)
    return scope, time.perf_counter() - start


def main() -> None:
    results: dict = {"machine": {"python": platform.python_version(),
                                 "processor": platform.processor() or platform.machine(),
                                 "cpus": os.cpu_count()},
                     "bounds": BOUNDS, "peer_budget_s": BUDGET_S}
    scope, prep = demo_scope()
    print(f"demo: {len(scope.atoms)} buildings, cells+adjacency {prep:.1f} s", flush=True)
    results["demo"] = {"cells_and_adjacency_s": round(prep, 2), **compare(scope, "demo")}
    scope, prep = city_scope(COMMUNITIES)
    print(f"city: {len(scope.atoms)} buildings, cells+adjacency {prep:.1f} s", flush=True)
    results["city"] = {"cells_and_adjacency_s": round(prep, 2), **compare(scope, "city")}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
