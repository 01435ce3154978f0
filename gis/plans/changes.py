"""What applying a plan changes, computed once for the preview and for apply.

``change_set`` reads the grids a plan ends, the grids it creates (with the codes apply will
give them, gis/core/sql/plan_codes.sql), the buildings that change grid (and with them their
households and residents) and the not-closed events that change grid. The review shows
``summary(change_set(...))``; ``apply_plan`` writes exactly these rows and reports the same
summary, so the numbers before apply are the numbers after it.

A 多格合一 (merge) plan ends the thematic grids it merged as well as the unified ones it
redraws; the crosswalk keeps each old grid's link to the grids that took its households.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.orm import Session

from gis.core import sql
from gis.models import Plan

ROW_M = 300.0
"""Height (m) of the rows in which new grids are numbered west to east (plan_codes.sql)."""


@dataclass(frozen=True)
class ChangeSet:
    """Rows apply writes: ``retired`` (id, code, theme), ``created`` (plan_grid_id, seq, code,
    name), ``buildings`` (building_id, old_grid_id, plan_grid_id, source_grid_id, households,
    residents), ``events`` (event_id, event_code, status, old_grid_id, plan_grid_id)."""

    retired: pd.DataFrame
    created: pd.DataFrame
    buildings: pd.DataFrame
    events: pd.DataFrame

    def summary(self) -> dict:
        """The figures the review shows and apply reports (``PlanChanges`` in the API)."""
        return {"grids_retired": sorted(self.retired["code"].astype(str)),
                "grids_created": sorted(self.created["code"].astype(str)),
                "buildings_reassigned": len(self.buildings),
                "households_reassigned": int(self.buildings["households"].sum()),
                "residents_reassigned": int(self.buildings["residents"].sum()),
                "events_reassigned": len(self.events)}


def retired_ids(session: Session, plan: Plan) -> list[int]:
    """Grids ``plan`` ends: the unified grids it redraws and, for a merge, every thematic grid
    of the merged themes it read (grids still in force only)."""
    redrawn = [int(g) for g in plan.params.get("retired", [])]
    themes = list(plan.params.get("themes", [])) if plan.kind == "merge" else []
    read = [int(g) for g in plan.params.get("grid_versions", {})]
    query = text("""
        SELECT id FROM grid WHERE valid_to IS NULL
          AND (id = ANY(:redrawn) OR (id = ANY(:read) AND theme = ANY(CAST(:themes AS text[]))))
        ORDER BY id""").bindparams(bindparam("redrawn", type_=ARRAY(INTEGER)),
                                   bindparam("read", type_=ARRAY(INTEGER)))
    return list(session.execute(query, {"redrawn": redrawn, "read": read,
                                         "themes": themes}).scalars())


def change_set(session: Session, plan: Plan) -> ChangeSet:
    """What applying ``plan`` (a draft) now would change; see the module docstring."""
    retired = retired_ids(session, plan)
    params: dict[str, Any] = {"plan": plan.id, "retired": retired}
    conn = session.connection()
    grids = pd.read_sql(text("SELECT id, code, theme FROM grid WHERE id = ANY(:ids) "
                             "ORDER BY theme, code").bindparams(
                                 bindparam("ids", type_=ARRAY(INTEGER))),
                        conn, params={"ids": retired})
    created = pd.read_sql(sql.statement("plan_codes"), conn,
                          params={"plan": plan.id, "row_m": ROW_M})
    seqs = pd.read_sql(text("SELECT id AS plan_grid_id, seq FROM plan_grid WHERE plan_id = :p"),
                       conn, params={"p": plan.id})
    created = created.merge(seqs, on="plan_grid_id", how="left")
    buildings = pd.read_sql(sql.statement("plan_change_buildings"), conn, params=params)
    events = pd.read_sql(sql.statement("plan_change_events"), conn, params=params)
    return ChangeSet(retired=grids, created=created[["plan_grid_id", "seq", "code", "name"]],
                     buildings=buildings, events=events)


def plan_changes(session: Session, plan: Plan) -> dict:
    """The change summary of ``plan``: computed now for a draft, as applied for an applied
    plan, empty (nothing changed) for a rejected one."""
    if plan.status == "applied":
        return dict(plan.metrics.get("changes") or {})
    if plan.status != "draft":
        return {}
    return change_set(session, plan).summary()


def metric_figures(plan: Plan, summary: dict) -> dict:
    """The plan metrics' change figures, taken from ``summary`` (plan_changes) so the review
    shows what apply does. ``buildings_redrawn`` counts the buildings the review map
    highlights: those whose new grid is not the successor of their old one (gis.plans.metrics)."""
    redrawn = len(plan.metrics.get("moved_building_ids", []))
    if not summary:
        return {"buildings_redrawn": redrawn}
    return {"buildings_moved": summary["buildings_reassigned"],
            "households_reassigned": summary["households_reassigned"],
            "residents_reassigned": summary["residents_reassigned"],
            "events_reassigned": summary["events_reassigned"],
            "grids_retired": len(summary["grids_retired"]),
            "grids_new": len(summary["grids_created"]),
            "buildings_redrawn": redrawn}
