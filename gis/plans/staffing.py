"""Grid workers for the grids a plan creates: a proposal, the planner's picks, the gaps.

Rule, in order:
1. the planner's pick for a grid (``plan.params["workers"]``: plan grid seq -> worker id,
   set with ``pick_workers``) wins, and a picked worker is not proposed elsewhere;
2. every other worker of a grid the plan ends is carried to the proposed grid holding most
   of their old households (crosswalk; ties: lowest seq), new or kept;
3. a new grid still without a worker takes a free worker of its community (linked to no grid
   that stays in force, e.g. one whose grids all end), then a worker carried to a new grid
   that holds several (the one with most households there stays).
New grids left without any worker are ``unstaffed``: a warning, and apply refuses a plan
with an unstaffed residential grid unless the planner confirms it.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import sql
from gis.core.errors import Conflict, InvalidInput, NotFound
from gis.models import AuditLog, Plan
from gis.plans import changes, lock

SOURCE_LABELS = {"planner": "规划指定", "carried": "原网格员随迁", "community": "社区空闲",
                 "surplus": "富余调剂"}
"""Why a worker is proposed for a grid (shown on the workbench)."""


def _overlap(session: Session, plan: Plan, retired: list[int]) -> pd.DataFrame:
    """worker_id, plan_grid_id, seq, households: old households of each worker of a retired
    grid that go to each proposed grid."""
    return pd.read_sql(text("""
        SELECT wg.worker_id, c.plan_grid_id, pg.seq, sum(c.households) + count(*) * 1e-6 AS h
        FROM grid_worker_grid wg
        JOIN plan_crosswalk c ON c.plan_id = :p AND c.old_grid_id = wg.grid_id
        JOIN plan_grid pg ON pg.id = c.plan_grid_id
        WHERE wg.grid_id = ANY(CAST(:retired AS int[]))
        GROUP BY 1, 2, 3"""), session.connection(), params={"p": plan.id, "retired": retired})


def _free_workers(session: Session, plan: Plan, retired: list[int]) -> pd.DataFrame:
    """worker_id, community_code: workers of the plan's communities linked to no grid that
    stays in force."""
    return pd.read_sql(text("""
        SELECT wg.worker_id, min(g.community_code) AS community_code
        FROM grid_worker_grid wg JOIN grid g ON g.id = wg.grid_id
        WHERE g.community_code IN (SELECT DISTINCT community_code FROM plan_grid
                                   WHERE plan_id = :p)
        GROUP BY wg.worker_id
        HAVING NOT bool_or(g.valid_to IS NULL AND g.id <> ALL(CAST(:retired AS int[])))
        ORDER BY wg.worker_id"""), session.connection(),
        params={"p": plan.id, "retired": retired})


def _grids(session: Session, plan: Plan) -> pd.DataFrame:
    return pd.read_sql(text("""
        SELECT id AS plan_grid_id, seq, kind, community_code, source_grid_id IS NULL AS new
        FROM plan_grid WHERE plan_id = :p ORDER BY seq"""), session.connection(),
        params={"p": plan.id})


def propose(session: Session, plan: Plan) -> pd.DataFrame:
    """Links apply makes: plan_grid_id, seq, worker_id, source (see the module docstring),
    ordered by seq then rank (the first worker of a new grid becomes its primary one)."""
    retired = changes.retired_ids(session, plan)
    grids = _grids(session, plan)
    picks = {int(s): int(w) for s, w in plan.params.get("workers", {}).items()}
    by_seq = grids.set_index("seq")["plan_grid_id"]
    rows = [{"plan_grid_id": int(by_seq[s]), "seq": s, "worker_id": w, "source": "planner",
             "h": float("inf")} for s, w in picks.items() if s in by_seq.index]
    overlap = _overlap(session, plan, retired)
    overlap = overlap[~overlap["worker_id"].isin(picks.values())]
    best = overlap.sort_values(["h", "seq"], ascending=[False, True]).drop_duplicates(
        "worker_id")
    rows += [{"plan_grid_id": int(g), "seq": int(s), "worker_id": int(w), "source": "carried",
              "h": float(h)}
             for g, s, w, h in zip(best["plan_grid_id"].tolist(), best["seq"].tolist(),
                                   best["worker_id"].tolist(), best["h"].tolist(), strict=True)
             if int(s) not in picks]
    links = pd.DataFrame(rows, columns=["plan_grid_id", "seq", "worker_id", "source", "h"])
    links = _fill_gaps(links, grids, _free_workers(session, plan, retired), set(picks.values()))
    links = links.sort_values(["seq", "h"], ascending=[True, False]).reset_index(drop=True)
    links["worker_id"] = links["worker_id"].astype(int)
    links["seq"] = links["seq"].astype(int)
    return links[["plan_grid_id", "seq", "worker_id", "source"]]


def _fill_gaps(links: pd.DataFrame, grids: pd.DataFrame, free: pd.DataFrame,
               picked: set[int]) -> pd.DataFrame:
    """Give each new grid without a worker a free worker of its community, else a surplus
    one of a new grid holding several. A handful of grids: a short greedy pass."""
    new = grids[grids["new"]]
    used = set(links["worker_id"].astype(int)) | picked
    pool = free[~free["worker_id"].isin(used)]
    for grid in new[~new["plan_grid_id"].isin(links["plan_grid_id"])].itertuples():
        mine = pool[pool["community_code"] == grid.community_code]
        if not mine.empty:
            worker, source = int(mine["worker_id"].iloc[0]), "community"
            pool = pool[pool["worker_id"] != worker]
        else:
            spare = _spare(links, set(new["plan_grid_id"]), str(grid.community_code), grids)
            if spare is None:
                continue
            index, worker = spare
            links, source = links.drop(index=index), "surplus"
        links = pd.concat([links, pd.DataFrame([{
            "plan_grid_id": grid.plan_grid_id, "seq": grid.seq, "worker_id": worker,
            "source": source, "h": 0.0}])], ignore_index=True)
    return links


def _spare(links: pd.DataFrame, new_ids: set[int], community: str,
           grids: pd.DataFrame) -> tuple[int, int] | None:
    """(index, worker_id) of a carried link to a new grid of ``community`` that holds several
    workers: its worker with the fewest households there; None when there is none."""
    community_of = grids.set_index("plan_grid_id")["community_code"]
    carried = links[(links["source"] == "carried") & links["plan_grid_id"].isin(new_ids)]
    carried = carried[carried["plan_grid_id"].map(community_of) == community]
    crowded = carried[carried.groupby("plan_grid_id")["worker_id"].transform("size") > 1]
    if crowded.empty:
        return None
    pick = crowded.sort_values(["h", "worker_id"]).head(1)
    return int(pick.index[0]), int(pick["worker_id"].iloc[0])


def staffing(session: Session, plan: Plan, links: pd.DataFrame | None = None) -> dict:
    """For a draft: ``grids`` (every new grid: seq, kind, code it will get, workers with id,
    code, name, source) and ``unstaffed`` (new grids without a worker: seq, kind, code)."""
    links = propose(session, plan) if links is None else links
    grids = _grids(session, plan)
    codes = pd.read_sql(sql.statement("plan_codes"), session.connection(),
                        params={"plan": plan.id, "row_m": changes.ROW_M})
    grids = grids.merge(codes[["plan_grid_id", "code"]], on="plan_grid_id", how="left")
    workers = pd.read_sql(text("SELECT id AS worker_id, code AS worker_code, name AS "
                               "worker_name FROM grid_worker WHERE id = ANY(CAST(:ids AS "
                               "int[]))"), session.connection(),
                          params={"ids": links["worker_id"].astype(int).tolist()})
    named = links.merge(workers, on="worker_id", how="left")
    out, unstaffed = [], []
    for grid in grids[grids["new"]].itertuples():  # the plan's new grids: a few dozen
        mine = named[named["plan_grid_id"] == grid.plan_grid_id]
        entry = {"seq": int(str(grid.seq)), "kind": grid.kind, "code": grid.code,
                 "community_code": grid.community_code,
                 "workers": mine[["worker_id", "worker_code", "worker_name", "source"]]
                 .to_dict(orient="records")}
        out.append(entry)
        if mine.empty:
            unstaffed.append({k: entry[k] for k in ("seq", "kind", "code")})
    return {"grids": out, "unstaffed": unstaffed}


def list_worker_candidates(session: Session, plan: Plan,
                           links: pd.DataFrame | None = None) -> pd.DataFrame:
    """Workers the planner may pick for the new grids of ``plan``: every worker linked to a
    grid (in force or ended) of the plan's communities, one row each with worker_code,
    worker_name, role, community_code and ``seqs`` (new grids the proposal gives them; empty
    for a free worker; empty for a decided plan), free ones first, then by code."""
    if links is None:
        links = propose(session, plan) if plan.status == "draft" else pd.DataFrame(
            {"seq": pd.Series(dtype=int), "worker_id": pd.Series(dtype=int)})
    workers = pd.read_sql(text("""
        SELECT w.id AS worker_id, w.code AS worker_code, w.name AS worker_name, w.role,
               min(g.community_code) AS community_code
        FROM grid_worker w JOIN grid_worker_grid wg ON wg.worker_id = w.id
        JOIN grid g ON g.id = wg.grid_id
        WHERE g.community_code IN (SELECT DISTINCT community_code FROM plan_grid
                                   WHERE plan_id = :p)
        GROUP BY w.id ORDER BY w.code"""), session.connection(), params={"p": plan.id})
    new = set(_grids(session, plan).query("new")["seq"].astype(int))
    mine: dict[int, list[int]] = {}
    for worker, seq in zip(links["worker_id"].astype(int), links["seq"].astype(int),
                           strict=True):  # one row per proposed link: a few dozen
        if seq in new:
            mine.setdefault(worker, []).append(seq)
    workers["seqs"] = [sorted(mine.get(int(w), [])) for w in workers["worker_id"]]
    workers["free"] = [not s for s in workers["seqs"]]
    workers = workers.sort_values(["free", "worker_code"], ascending=[False, True])
    return workers.drop(columns="free").reset_index(drop=True)


def check_staffed(session: Session, plan: Plan, links: pd.DataFrame, *,
                  confirm_unstaffed: bool) -> list[dict]:
    """The unstaffed new grids of ``plan``; Conflict naming them when a residential one is
    among them and the planner has not confirmed (``confirm_unstaffed``)."""
    gaps = staffing(session, plan, links)["unstaffed"]
    residential = [g for g in gaps if g["kind"] == "residential"]
    if residential and not confirm_unstaffed:
        names = ", ".join(f"#{g['seq']} ({g['code']})" for g in residential)
        raise Conflict(f"plan {plan.id} leaves residential grids without a grid worker: "
                       f"{names}; pick a worker for each (PUT /api/v1/plans/{plan.id}/workers)"
                       " or apply with confirm_unstaffed=true (新网格未配备网格员)",
                       unstaffed=[g["seq"] for g in residential])
    return gaps


def pick_workers(session: Session, plan: Plan, picks: dict[int, str | None]) -> None:
    """Record the planner's worker (code; None clears the pick) for new grids of draft
    ``plan`` (locked by the caller) by plan grid seq. InvalidInput for a seq that is not a
    new grid of the plan, NotFound for an unknown worker code."""
    grids = _grids(session, plan)
    new = set(grids.loc[grids["new"], "seq"].astype(int))
    wrong = sorted(set(picks) - new)
    if wrong:
        raise InvalidInput(f"plan {plan.id} has no new grid #{', #'.join(map(str, wrong))}: "
                           "workers are picked for the grids the plan creates (by seq)")
    codes = sorted({c for c in picks.values() if c is not None})
    found: dict[str, int] = dict(session.execute(text("SELECT code, id FROM grid_worker "
                                      "WHERE code = ANY(CAST(:c AS text[]))"),
                                 {"c": codes}).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(f"no grid worker with code {', '.join(missing)}")
    chosen = {str(s): w for s, w in plan.params.get("workers", {}).items()}
    for seq, code in picks.items():
        if code is None:
            chosen.pop(str(seq), None)
        else:
            chosen[str(seq)] = int(found[code])
    plan.params = {**plan.params, "workers": chosen}


def set_plan_workers(session: Session, plan_id: int, picks: dict[int, str | None], *,
                     actor: str, expected: int | None = None) -> Plan:
    """Lock draft ``plan_id`` (gis.plans.lock: 409 busy or decided, 412 stale ``expected``),
    record the planner's picks (``pick_workers``) and bump its version."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    pick_workers(session, plan, picks)
    session.add(AuditLog(actor=actor, action="plan_workers_picked", target=f"plan:{plan.id}",
                         details={"picks": {str(k): v for k, v in picks.items()}}))
    lock.bump(session, plan)
    return plan
