"""Recomputing a plan's figures after a manual edit: grid households and compactness, flags
(contiguity in the building-cell graph, households against the plan's rules), the crosswalk,
and the before/after metrics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import sql
from gis.core.frames import frame_from_sql
from gis.grids.household_rules import LoadRules
from gis.models import Plan
from gis.plans import atoms, cells
from gis.plans.metrics import load_summary


def grid_pieces(session: Session, plan: Plan, communities: list[str] | None = None
                ) -> pd.Series:
    """Per proposed grid id of ``plan``: how many pieces its buildings form in the
    building-cell adjacency graph the drafts keep grids contiguous in (gis.plans.cells: cells
    of one community sharing a boundary, cut by water), built as the draft built it.

    ``communities``: only the grids of these communities (cells and adjacency built for them
    alone: a grid lies in one community and cells never cross one, so their counts are the
    whole plan's); None: every grid."""
    scope = atoms.load_scope(session, plan.scope_code, only=communities,
                             segment_m=plan.params.get("segment_m", cells.SEGMENT_M))
    where = pd.read_sql(text("SELECT building_id, plan_grid_id FROM plan_building "
                             "WHERE plan_id = :p"), session.connection(), params={"p": plan.id})
    grid = scope.atoms["building_id"].map(where.set_index("building_id")["plan_grid_id"])
    return cells.pieces_per_label(scope.adjacency,
                                  grid.to_numpy(dtype="float64", na_value=np.nan))


def grid_flags(grids: pd.DataFrame, rules: LoadRules) -> pd.DataFrame:
    """``flag`` and bilingual ``reason`` per row of ``grids`` (kind, households, buildings,
    pieces): ``noncontiguous`` when in several pieces (contiguity is a rule the drafts never
    break, so a grid cut by hand says so first), else ``oversized``/``undersized`` against
    the kind's range; the reason names every problem. Vectorised over the grids."""
    bounds = {k: rules.bounds(k) for k in grids["kind"].unique()}  # a handful of kinds
    lo = grids["kind"].map({k: b[0] for k, b in bounds.items() if b}).astype("Int64")
    hi = grids["kind"].map({k: b[1] for k, b in bounds.items() if b}).astype("Int64")
    h, n = grids["households"].astype(str), grids["pieces"].astype(str)
    split = grids["pieces"].gt(1).to_numpy()
    over = grids["households"].gt(hi).fillna(False).to_numpy(dtype=bool)
    under = grids["households"].lt(lo).fillna(False).to_numpy(dtype=bool)
    parts = pd.DataFrame({
        "pieces": ("网格被分成 " + n + " 片互不相邻的部分 (in " + n
                   + " pieces: not contiguous)").where(split),
        "load": (h + " 户超过上限 " + hi.astype(str) + " (above " + hi.astype(str) + ")"
                 ).where(over, (h + " 户低于下限 " + lo.astype(str) + " (below "
                                + lo.astype(str) + ")").where(under)),
        "empty": pd.Series("没有建筑 (no buildings)", index=grids.index).where(
            grids["buildings"].eq(0))}, index=grids.index)
    reason = parts.melt(ignore_index=False).dropna().groupby(level=0)["value"].agg("；".join)
    flag = pd.Series(np.select([split, over, under], ["noncontiguous", "oversized",
                                                      "undersized"], ""), index=grids.index)
    flag = flag.mask(flag.eq(""))
    return pd.DataFrame({"flag": flag, "reason": reason.reindex(grids.index, fill_value="")
                         .where(flag.notna(), "")})


def _flags(session: Session, plan: Plan, rules: LoadRules,
           communities: list[str] | None) -> list[dict]:
    """Flags of the proposed grids of ``communities`` (None: every grid), written in one
    UPDATE; the flagged grids of the whole plan as a list by seq, the others' entries taken
    from the plan's stored list (``plan.metrics["flags"]``)."""
    grids = frame_from_sql(session, "SELECT id, seq, kind, households, "
                           "(SELECT count(*) FROM plan_building pb WHERE pb.plan_grid_id = "
                           "pg.id) AS buildings FROM plan_grid pg WHERE plan_id = :p AND "
                           "(CAST(:c AS text[]) IS NULL OR community_code = ANY(:c)) "
                           "ORDER BY seq", {"p": plan.id, "c": communities}, geom_col=None)
    pieces = grid_pieces(session, plan, communities)
    grids["pieces"] = grids["id"].map(pieces).fillna(0).astype(int)
    grids = grids.join(grid_flags(grids, rules))
    session.execute(text("""
        UPDATE plan_grid pg SET flag = u.flag
        FROM unnest(CAST(:ids AS int[]), CAST(:flags AS text[])) AS u(id, flag)
        WHERE pg.plan_id = :p AND pg.id = u.id"""),
        {"p": plan.id, "ids": grids["id"].astype(int).tolist(),
         "flags": grids["flag"].astype(object).where(grids["flag"].notna(), None).tolist()})
    flagged = grids[grids["flag"].notna()]
    fresh = flagged.assign(seq=flagged["seq"].astype(int))[["seq", "flag", "reason"]].to_dict(
        orient="records")
    if communities is None:
        return fresh
    others = set(session.execute(text(
        "SELECT seq FROM plan_grid WHERE plan_id = :p AND community_code <> ALL(:c)"),
        {"p": plan.id, "c": communities}).scalars())
    kept = [f for f in plan.metrics.get("flags", []) if f["seq"] in others]
    return sorted([*kept, *fresh], key=lambda f: f["seq"])


def refresh_plan(session: Session, plan: Plan, communities: list[str] | None = None) -> None:
    """Households, compactness, flags, crosswalk and metrics of ``plan`` from its rows.

    ``communities``: the only communities whose buildings or grids changed since the last
    refresh (an edit stays in one); flags elsewhere are kept as stored. None: everything."""
    rules = LoadRules(**plan.params.get("rules", {}))
    if not plan.metrics.get("edits"):
        # the draft words its flags itself (kept grids' reasons): the first refresh after it
        # rewrites every grid's, later ones only the edited community's (gis.plans.edit)
        communities = None
    params: dict[str, Any] = {"plan": plan.id, "themes": list(plan.params.get("themes", []))}
    session.execute(text(sql.load("plan_refresh")), params)
    session.execute(text("DELETE FROM plan_crosswalk WHERE plan_id = :plan"), params)
    session.execute(text(sql.load("plan_crosswalk")), params)
    flags = _flags(session, plan, rules, communities)
    grids = frame_from_sql(session, "SELECT kind, households, compactness FROM plan_grid "
                           "WHERE plan_id = :p", {"p": plan.id}, geom_col=None)
    moved = pd.read_sql(text(sql.load("plan_moved")), session.connection(), params=params)
    retired = [int(g) for g in plan.params.get("retired", [])]
    events = session.execute(text(
        "SELECT count(*) FROM event WHERE grid_id = ANY(:ids) "
        "AND gm_event_not_closed(status)"), {"ids": retired}).scalar_one()
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
