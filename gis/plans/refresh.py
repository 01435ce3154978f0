"""Recomputing a plan's figures after a manual edit: grid households and compactness, flags
against the plan's rules, the crosswalk, and the before/after metrics."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import sql
from gis.frames import frame_from_sql
from gis.models import Plan
from gis.plans.metrics import load_summary
from gis.rules import LoadRules


def _flags(session: Session, plan: Plan, rules: LoadRules) -> list[dict]:
    grids = frame_from_sql(session, "SELECT id, seq, kind, households, source_grid_id, "
                           "(SELECT count(*) FROM plan_building pb WHERE pb.plan_grid_id = "
                           "pg.id) AS buildings FROM plan_grid pg WHERE plan_id = :p "
                           "ORDER BY seq", {"p": plan.id}, geom_col=None)
    bounds = grids["kind"].map(rules.bounds)
    flags = []
    for row, b in zip(grids.itertuples(), bounds, strict=True):  # one row per grid: no geometry
        flag, reason = None, ""
        if b is not None and row.households > b[1]:
            flag, reason = "oversized", f"{row.households} 户超过上限 {b[1]} (above {b[1]})"
        elif b is not None and row.households < b[0]:
            flag, reason = "undersized", f"{row.households} 户低于下限 {b[0]} (below {b[0]})"
        if row.buildings == 0:
            reason += "；没有建筑 (no buildings)"
        if flag:
            flags.append({"seq": int(row.seq), "id": int(row.id), "flag": flag,
                          "reason": reason})
    session.execute(text("UPDATE plan_grid SET flag = NULL WHERE plan_id = :p"), {"p": plan.id})
    for f in flags:
        session.execute(text("UPDATE plan_grid SET flag = :f WHERE id = :i"),
                        {"f": f["flag"], "i": f["id"]})
    return [{k: v for k, v in f.items() if k != "id"} for f in flags]


def refresh_plan(session: Session, plan: Plan) -> None:
    """Households, compactness, flags, crosswalk and metrics of ``plan`` from its rows."""
    rules = LoadRules(**plan.params.get("rules", {}))
    params = {"plan": plan.id, "themes": list(plan.params.get("themes", []))}
    session.execute(text(sql.load("plan_refresh")), params)
    session.execute(text("DELETE FROM plan_crosswalk WHERE plan_id = :plan"), params)
    session.execute(text(sql.load("plan_crosswalk")), params)
    flags = _flags(session, plan, rules)
    grids = frame_from_sql(session, "SELECT kind, households, compactness FROM plan_grid "
                           "WHERE plan_id = :p", {"p": plan.id}, geom_col=None)
    moved = pd.read_sql(text(sql.load("plan_moved")), session.connection(), params=params)
    retired = [int(g) for g in plan.params.get("retired", [])]
    events = session.execute(text(
        "SELECT count(*) FROM event WHERE grid_id = ANY(:ids) "
        "AND status NOT IN ('closed', 'verified', 'resolved')"), {"ids": retired}).scalar_one()
    plan.metrics = {
        **plan.metrics,
        "after": load_summary(grids["households"], grids["compactness"], grids["kind"], rules),
        "buildings_moved": len(moved), "residents_reassigned": int(moved["residents"].sum()),
        "households_reassigned": int(moved["households"].sum()),
        "moved_building_ids": moved["id"].astype(int).tolist(),
        "events_reassigned": int(events), "grids_retired": len(retired),
        "grids_new": int(session.execute(text(
            "SELECT count(*) FROM plan_grid WHERE plan_id = :p AND source_grid_id IS NULL"),
            {"p": plan.id}).scalar_one()),
        "flags": flags, "edits": int(plan.metrics.get("edits", 0)) + 1}
    session.flush()
