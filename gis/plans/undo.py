"""Undo for manual plan edits: a snapshot of a draft's rows before each edit, restored on undo.

The snapshot is the plan's own rows (plan_grid with its geometry as hex EWKB in EPSG:4490,
plan_building, plan_crosswalk) plus its metrics and params, kept as JSON in
``plan.params["undo"]`` (the last UNDO_DEPTH edits; no table of its own). Rows are copied
whole (``to_jsonb`` / ``jsonb_populate_recordset``), so a column added to those tables later
is undone too. Undo is a write like an edit: it locks the draft, checks ``expected`` (If-Match)
and bumps the version.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import Conflict
from gis.models import AuditLog, Plan
from gis.plans import edit, lock

UNDO_DEPTH = 10
"""Edits that can be undone, newest first (older snapshots are dropped)."""

_SNAPSHOT = """
SELECT
  (SELECT COALESCE(jsonb_agg(to_jsonb(pg) || jsonb_build_object(
       'geom', encode(ST_AsEWKB(pg.geom), 'hex'))), '[]'::jsonb)
   FROM plan_grid pg WHERE pg.plan_id = :p) AS grids,
  (SELECT COALESCE(jsonb_agg(to_jsonb(pb)), '[]'::jsonb)
   FROM plan_building pb WHERE pb.plan_id = :p) AS buildings,
  (SELECT COALESCE(jsonb_agg(to_jsonb(c)), '[]'::jsonb)
   FROM plan_crosswalk c WHERE c.plan_id = :p) AS crosswalk
"""

_RESTORE = (
    # plan_building and plan_crosswalk rows go with their plan_grid (ON DELETE CASCADE)
    "DELETE FROM plan_grid WHERE plan_id = :p",
    "INSERT INTO plan_grid SELECT * FROM jsonb_populate_recordset(NULL::plan_grid, "
    "CAST(:grids AS jsonb))",
    "INSERT INTO plan_building SELECT * FROM jsonb_populate_recordset(NULL::plan_building, "
    "CAST(:buildings AS jsonb))",
    "INSERT INTO plan_crosswalk SELECT * FROM jsonb_populate_recordset(NULL::plan_crosswalk, "
    "CAST(:crosswalk AS jsonb))",
)


def edit_plan(session: Session, plan_id: int, change: dict[str, Any], *, actor: str,
              expected: int | None = None, max_vertices: int | None = None) -> Plan:
    """gis.plans.edit.edit_plan, after keeping a snapshot that ``undo_edit`` restores."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    _push(session, plan)
    return edit.edit_plan(session, plan_id, change, actor=actor, expected=expected,
                          max_vertices=max_vertices)


def undo_edit(session: Session, plan_id: int, *, actor: str,
              expected: int | None = None) -> Plan:
    """Put draft ``plan_id`` back as it was before its last edit; Conflict when there is no
    edit to undo (the plan as drawn, or every kept edit already undone)."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    stack = list(plan.params.get("undo", []))
    if not stack:
        raise Conflict(f"plan {plan.id} has no edit to undo (方案没有可撤销的调整)")
    last, rest = stack[0], stack[1:]
    session.execute(text(_RESTORE[0]), {"p": plan.id})
    for statement, key in zip(_RESTORE[1:], ("grids", "buildings", "crosswalk"), strict=True):
        session.execute(text(statement), {key: json.dumps(last[key])})
    plan.metrics = last["metrics"]
    plan.params = {**last["params"], "undo": rest}
    session.add(AuditLog(actor=actor, action="plan_edit_undo", target=f"plan:{plan.id}"))
    lock.bump(session, plan)
    return plan


def undo_depth(plan: Plan) -> int:
    """How many edits of ``plan`` can be undone now."""
    return len(plan.params.get("undo", []))


def _push(session: Session, plan: Plan) -> None:
    row = session.execute(text(_SNAPSHOT), {"p": plan.id}).one()
    params = {k: v for k, v in plan.params.items() if k != "undo"}
    snapshot = {"grids": row.grids, "buildings": row.buildings, "crosswalk": row.crosswalk,
                "metrics": plan.metrics, "params": params}
    plan.params = {**params, "undo": [snapshot, *plan.params.get("undo", [])][:UNDO_DEPTH]}
    session.flush()
