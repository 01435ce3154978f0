"""Deciding a plan: ``apply_plan`` (one transaction, with history) and ``reject_plan``.

Applying, with the plan row locked first (gis.plans.lock), inside one savepoint (any failure
rolls everything back and raises):
1. every grid the plan read must still have the version it had (else Conflict, HTTP 409);
   a new residential grid without a grid worker is a Conflict too unless confirmed
   (gis.plans.staffing);
2. the change set (gis.plans.changes, the same one the review shows) is written: retired
   grids (for a merge also the merged thematic grids) get ``valid_to`` (history keeps them,
   with their geometry); new grids are inserted with codes by the documented rule
   (gis/core/sql/plan_codes.sql: community code + 3-digit sequence, rows north to south, west
   to east within a row); buildings (and with them residents and households) move to their
   proposed grids; not-closed events follow by location, each with an event_log line;
3. workers are linked to the grids now in force by gis.plans.staffing's proposal.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, TEXT
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.core.errors import Conflict
from gis.models import AuditLog, Plan
from gis.plans import changes as change_set
from gis.plans import lock, staffing


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


def apply_plan(session: Session, plan_id: int, *, actor: str, expected: int | None = None,
               confirm_unstaffed: bool = False) -> dict:
    """Apply draft plan ``plan_id``; returns the list of changes. See the module docstring;
    ``expected``: see lock.lock_draft; ``confirm_unstaffed``: apply even when a new
    residential grid would have no grid worker (else Conflict naming those grids)."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    savepoint = session.begin_nested()
    try:
        check_versions(session, plan)
        changes = _apply(session, plan, actor, confirm_unstaffed)
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


def _apply(session: Session, plan: Plan, actor: str, confirm_unstaffed: bool) -> dict:
    cs = change_set.change_set(session, plan)
    links = staffing.propose(session, plan)
    unstaffed = staffing.check_staffed(session, plan, links, confirm_unstaffed=confirm_unstaffed)
    at: datetime = session.execute(text("SELECT clock_timestamp()")).scalar_one()
    session.execute(text(
        "UPDATE grid SET valid_to = :at, version = version + 1 WHERE id = ANY(:ids)"
    ).bindparams(bindparam("ids", type_=ARRAY(INTEGER))),
        {"at": at, "ids": cs.retired["id"].astype(int).tolist()})
    created = _insert_grids(session, cs.created, at)
    kept = session.execute(text("SELECT id, source_grid_id FROM plan_grid WHERE plan_id = :p "
                                "AND source_grid_id IS NOT NULL"), {"p": plan.id}).all()
    pg_to_grid = {r.id: r.source_grid_id for r in kept} | created
    _move_buildings(session, cs.buildings, pg_to_grid)
    events = _move_events(session, plan, cs.events, pg_to_grid, actor)
    workers = _link_workers(session, links, pg_to_grid)
    summary = cs.summary()
    plan.status, plan.decided_at, plan.version = "applied", at, plan.version + 1
    plan.metrics = {**plan.metrics, "changes": summary, "workers_linked": workers,
                    "unstaffed_at_apply": unstaffed}
    changes = {"plan_id": plan.id, "applied_at": at.isoformat(),
               "grids_retired": summary["grids_retired"],
               "grids_created": summary["grids_created"],
               "buildings_reassigned": summary["buildings_reassigned"],
               "households_reassigned": summary["households_reassigned"],
               "residents_reassigned": summary["residents_reassigned"],
               "events_reassigned": events, "workers_carried": workers,
               "unstaffed": unstaffed, "changes": summary}
    session.add(AuditLog(actor=actor, action="plan_applied", target=f"plan:{plan.id}",
                         details={**summary, "workers_linked": len(workers),
                                  "unstaffed": [g["seq"] for g in unstaffed]}))
    session.flush()
    return changes


def _move_buildings(session: Session, rows: pd.DataFrame, pg_to_grid: dict[int, int]) -> None:
    """Buildings of the change set to the grids now in force (one UPDATE)."""
    session.execute(text("""
        UPDATE building b SET grid_id = u.grid_id
        FROM unnest(CAST(:ids AS int[]), CAST(:grids AS int[])) AS u(id, grid_id)
        WHERE b.id = u.id"""), {"ids": rows["building_id"].astype(int).tolist(),
                                "grids": rows["plan_grid_id"].map(pg_to_grid).astype(int)
                                .tolist()})


def _move_events(session: Session, plan: Plan, rows: pd.DataFrame, pg_to_grid: dict[int, int],
                 actor: str) -> list[dict]:
    """Events of the change set to the grids now in force, each with an event_log line
    (status unchanged, the note names the plan and both grids)."""
    moved = session.execute(text("""
        WITH u AS (SELECT * FROM unnest(CAST(:ids AS int[]), CAST(:grids AS int[]))
                   AS u(id, grid_id)),
        upd AS (
            UPDATE event e SET grid_id = u.grid_id, grid_version = g.version
            FROM u JOIN grid g ON g.id = u.grid_id
            WHERE e.id = u.id
            RETURNING e.id, e.code, e.status, g.code AS new_code, e.grid_id
        ),
        old AS (SELECT u2.id, og.id AS old_id, og.code AS old_code
                FROM unnest(CAST(:ids AS int[]), CAST(:old AS int[])) AS u2(id, old)
                JOIN grid og ON og.id = u2.old),
        logged AS (
            INSERT INTO event_log (event_id, from_status, to_status, actor, note)
            SELECT upd.id, upd.status, upd.status, :actor,
                   '网格调整 (plan ' || :plan || '): ' || old.old_code || ' → ' || upd.new_code
            FROM upd JOIN old ON old.id = upd.id
        )
        SELECT upd.id AS event_id, upd.code AS event_code, old.old_id AS old_grid_id,
               upd.grid_id AS new_grid_id, old.old_code AS from_grid, upd.new_code AS to_grid
        FROM upd JOIN old ON old.id = upd.id ORDER BY upd.code"""),
        {"ids": rows["event_id"].astype(int).tolist(),
         "grids": rows["plan_grid_id"].map(pg_to_grid).astype(int).tolist(),
         "old": rows["old_grid_id"].astype(int).tolist(), "actor": actor, "plan": str(plan.id)})
    return [dict(r) for r in moved.mappings()]


def _link_workers(session: Session, links: pd.DataFrame, pg_to_grid: dict[int, int]
                  ) -> list[dict]:
    """Workers to the grids now in force (staffing.propose); the first worker of a grid that
    has no primary one becomes its primary. Old links stay as history of the old grids."""
    rows = session.execute(text("""
        WITH u AS (SELECT * FROM unnest(CAST(:workers AS int[]), CAST(:grids AS int[]),
                                        CAST(:sources AS text[]), CAST(:ranks AS int[]))
                   AS u(worker_id, grid_id, source, rank)),
        ins AS (
            INSERT INTO grid_worker_grid (worker_id, grid_id, is_primary)
            SELECT u.worker_id, u.grid_id,
                   u.rank = 1 AND NOT EXISTS (SELECT 1 FROM grid_worker_grid x
                                              WHERE x.grid_id = u.grid_id AND x.is_primary)
            FROM u ON CONFLICT DO NOTHING
        )
        SELECT w.code AS worker_code, w.name AS worker_name, g.code AS to_grid, u.source
        FROM u JOIN grid_worker w ON w.id = u.worker_id JOIN grid g ON g.id = u.grid_id
        ORDER BY g.code, u.rank"""),
        {"workers": links["worker_id"].astype(int).tolist(),
         "grids": links["plan_grid_id"].map(pg_to_grid).astype(int).tolist(),
         "sources": links["source"].tolist(),
         "ranks": (links.groupby("plan_grid_id").cumcount() + 1).astype(int).tolist()})
    return [dict(r) for r in rows.mappings()]


def _insert_grids(session: Session, created: pd.DataFrame, at: datetime) -> dict[int, int]:
    """Insert the plan's new grids with the codes of the change set; returns plan_grid id ->
    new grid id."""
    if created.empty:
        return {}
    query = text("""
        INSERT INTO grid (code, name, theme, kind, community_code, valid_from, geom)
        SELECT x.code, x.name, 'unified', pg.kind, pg.community_code, :at, pg.geom
        FROM unnest(:pg_ids, :codes, :names) AS x(pg, code, name)
        JOIN plan_grid pg ON pg.id = x.pg
        RETURNING id, code""").bindparams(bindparam("pg_ids", type_=ARRAY(INTEGER)),
                                          bindparam("codes", type_=ARRAY(TEXT)),
                                          bindparam("names", type_=ARRAY(TEXT)))
    inserted = session.execute(query, {"at": at,
                                       "pg_ids": created["plan_grid_id"].astype(int).tolist(),
                                       "codes": created["code"].tolist(),
                                       "names": created["name"].tolist()}).all()
    by_code = {r.code: r.id for r in inserted}
    return {int(pg): by_code[code] for pg, code in zip(created["plan_grid_id"],
                                                       created["code"], strict=True)}
