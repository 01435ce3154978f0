"""Writing a plan safely under concurrency: lock its row first, check state and version.

Every plan write (edit, apply, reject) starts with ``lock_draft``: ``SELECT … FOR UPDATE
NOWAIT`` on the plan row, before it reads or touches plan grids, buildings or grids. Plan
first, then (apply) grids in id order: one lock order for every writer, so two writers never
wait on each other in a cycle (PostgreSQL would kill one as a deadlock: a 503). A plan another
request is writing right now is a Conflict at once rather than a queue of edits built on a
state their author never saw; after the other write commits, the plan row read here is the
committed one (READ COMMITTED), so an edit after an apply finds it applied (Conflict) and a
stale ``expected`` version is PreconditionFailed. Writers call ``bump`` when they are done.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gis.core.errors import Conflict, NotFound, PreconditionFailed
from gis.models import Plan

LOCK_NOT_AVAILABLE = "55P03"
"""SQLSTATE of a NOWAIT lock held by another transaction."""


def lock_draft(session: Session, plan_id: int, *, expected: int | None = None) -> Plan:
    """Draft plan ``plan_id``, its row locked until the transaction ends.

    NotFound when there is none; Conflict when another request is writing it or it is no
    longer a draft; PreconditionFailed when ``expected`` (the version the caller last saw,
    ``If-Match``) is not its version. ``expected`` None skips that check (command line, old
    clients)."""
    query = (select(Plan).where(Plan.id == plan_id).with_for_update(nowait=True)
             .execution_options(populate_existing=True))
    try:
        # the savepoint keeps the transaction usable when the lock is refused
        with session.begin_nested():
            plan = session.execute(query).scalar_one_or_none()
    except OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) != LOCK_NOT_AVAILABLE:
            raise
        raise Conflict(f"plan {plan_id} is being changed by another request right now; "
                       "reload it and try again (方案正在被他人修改，请刷新后重试)") from None
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    if plan.status != "draft":
        raise Conflict(f"plan {plan.id} is already {plan.status}; only a draft can be "
                       "changed or decided", status=plan.status)
    if expected is not None and expected != plan.version:
        raise PreconditionFailed(
            f"plan {plan.id} changed since you loaded it (your version {expected}, now "
            f"{plan.version}); reload it and redo your change (方案已被修改，请刷新后重试)",
            version=plan.version)
    return plan


def bump(session: Session, plan: Plan) -> None:
    """One more version of locked ``plan`` (its row is ours: no one else can bump it)."""
    plan.version = plan.version + 1
    session.flush()
