"""Deciding a plan: ``apply_plan`` (one transaction, with history) and ``reject_plan``.

Applying, with the plan row locked first (gis.plans.lock), inside one savepoint (any failure
rolls everything back and raises):
1. every grid the plan read must still have the version it had (else Conflict, HTTP 409);
2. retired grids get ``valid_to`` (history keeps them, with their geometry);
3. new grids are inserted with codes by the documented rule (gis/core/sql/plan_codes.sql:
   community code + 3-digit sequence, rows north to south, west to east within a row);
4. buildings (and with them residents and households) move to their proposed grids, open
   events follow by location (gis/core/sql/plan_apply_events.sql), workers' links are carried to
   the grid that took most of their old grid's households (gis/core/sql/plan_apply_workers.sql).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, TEXT
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.core import sql
from gis.core.errors import Conflict
from gis.models import AuditLog, Plan
from gis.plans import lock

ROW_M = 300.0
"""Height (m) of the rows in which new grids are numbered west to east."""


def reject_plan(session: Session, plan_id: int, *, actor: str,
                expected: int | None = None) -> Plan:
    """Mark a draft plan rejected (nothing else changes); ``expected``: see lock.lock_draft."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    plan.status = "rejected"
    plan.decided_at = session.execute(text("SELECT clock_timestamp()")).scalar_one()
    session.add(AuditLog(actor=actor, action="plan_rejected", target=f"plan:{plan.id}"))
    lock.bump(session, plan)
    return plan


def check_versions(session: Session, plan: Plan) -> None:
    """Lock the grids the plan read, in id order (after the plan row: one order for every
    writer); Conflict when one changed or ended since. The check reads the locked rows, so a
    plan applied concurrently over the same grids is seen once it commits (READ COMMITTED
    re-reads a row it waited for), never missed."""
    versions = {int(k): v for k, v in plan.params.get("grid_versions", {}).items()}
    query = text("SELECT id, code, version, valid_to FROM grid WHERE id = ANY(:ids) "
                 "ORDER BY id FOR UPDATE").bindparams(bindparam("ids", type_=ARRAY(INTEGER)))
    rows = session.execute(query, {"ids": list(versions)}).all()
    changed = sorted(r.code for r in rows if r.version != versions[r.id] or r.valid_to)
    if changed or len(rows) != len(versions):
        raise Conflict(f"grids changed since plan {plan.id} was drawn: "
                       f"{', '.join(changed) or 'a grid was deleted'}; draw a new plan",
                       grids=changed)


def apply_plan(session: Session, plan_id: int, *, actor: str,
               expected: int | None = None) -> dict:
    """Apply draft plan ``plan_id``; returns the list of changes. See the module docstring;
    ``expected``: see lock.lock_draft."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    savepoint = session.begin_nested()
    try:
        check_versions(session, plan)
        changes = _apply(session, plan, actor)
    except IntegrityError as exc:
        savepoint.rollback()
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        raise Conflict(f"plan {plan_id} could not be applied (constraint {constraint}); "
                       "nothing was changed", constraint=constraint) from None
    except Exception:
        savepoint.rollback()
        raise
    savepoint.commit()
    session.expire_all()  # grids changed behind the ORM's back (valid_to, version)
    return changes


def _apply(session: Session, plan: Plan, actor: str) -> dict:
    at: datetime = session.execute(text("SELECT clock_timestamp()")).scalar_one()
    retired = [int(g) for g in plan.params.get("retired", [])]
    ended = session.execute(text(
        "UPDATE grid SET valid_to = :at, version = version + 1 WHERE id = ANY(:ids) "
        "RETURNING code").bindparams(bindparam("ids", type_=ARRAY(INTEGER))),
        {"at": at, "ids": retired}).scalars().all()
    created = _insert_grids(session, plan.id, at)
    kept = session.execute(text("SELECT id, source_grid_id FROM plan_grid WHERE plan_id = :p "
                                "AND source_grid_id IS NOT NULL"), {"p": plan.id}).all()
    pg_to_grid = {r.id: r.source_grid_id for r in kept} | created
    params = {"plan": plan.id, "pg_ids": list(pg_to_grid), "grid_ids": list(pg_to_grid.values()),
              "retired": retired}
    buildings = session.execute(text("""
        UPDATE building b SET grid_id = m.grid_id
        FROM plan_building pb
        JOIN unnest(CAST(:pg_ids AS int[]), CAST(:grid_ids AS int[])) AS m(pg, grid_id)
            ON m.pg = pb.plan_grid_id
        WHERE pb.plan_id = :plan AND b.id = pb.building_id
          AND b.grid_id IS DISTINCT FROM m.grid_id
        RETURNING b.id, b.residents"""), params).all()
    events = session.execute(text(sql.load("plan_apply_events")), params).mappings().all()
    workers = session.execute(text(sql.load("plan_apply_workers")), params).mappings().all()
    plan.status, plan.decided_at, plan.version = "applied", at, plan.version + 1
    changes = {"plan_id": plan.id, "applied_at": at.isoformat(), "grids_retired": ended,
               "grids_created": sorted(created_codes(session, created)),
               "buildings_reassigned": len(buildings),
               "residents_reassigned": int(sum(r.residents for r in buildings)),
               "events_reassigned": [dict(e) for e in events],
               "workers_carried": [dict(w) for w in workers]}
    session.add(AuditLog(actor=actor, action="plan_applied", target=f"plan:{plan.id}",
                         details={k: v for k, v in changes.items() if k != "events_reassigned"}))
    session.flush()
    return changes


def _insert_grids(session: Session, plan_id: int, at: datetime) -> dict[int, int]:
    """Insert the plan's new grids with their codes; returns plan_grid id -> new grid id."""
    rows = session.execute(text(sql.load("plan_codes")),
                           {"plan": plan_id, "row_m": ROW_M}).all()
    if not rows:
        return {}
    query = text("""
        INSERT INTO grid (code, name, theme, kind, community_code, valid_from, geom)
        SELECT x.code, x.name, 'unified', pg.kind, pg.community_code, :at, pg.geom
        FROM unnest(:pg_ids, :codes, :names) AS x(pg, code, name)
        JOIN plan_grid pg ON pg.id = x.pg
        RETURNING id, code""").bindparams(bindparam("pg_ids", type_=ARRAY(INTEGER)),
                                          bindparam("codes", type_=ARRAY(TEXT)),
                                          bindparam("names", type_=ARRAY(TEXT)))
    inserted = session.execute(query, {"at": at, "pg_ids": [r.plan_grid_id for r in rows],
                                       "codes": [r.code for r in rows],
                                       "names": [r.name for r in rows]}).all()
    by_code = {r.code: r.id for r in inserted}
    return {r.plan_grid_id: by_code[r.code] for r in rows}


def created_codes(session: Session, created: dict[int, int]) -> list[str]:
    """Codes of the grids with ids ``created.values()``."""
    query = text("SELECT code FROM grid WHERE id = ANY(:ids)").bindparams(
        bindparam("ids", type_=ARRAY(INTEGER)))
    return list(session.execute(query, {"ids": list(created.values())}).scalars())
