"""Duplicates (重复件): one incident reported twice is worked once.

``mark_duplicate`` links an event to its original (``event.duplicate_of``) and logs it on both;
from then on the duplicate makes no moves of its own: ``workflow.transition_event`` refuses
them and gives every change of the original's state, closure and due time to its duplicates.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from gis.core.errors import Conflict, InvalidInput
from gis.events import workflow
from gis.models import Event


def mark_duplicate(session: Session, code: str, original_code: str, *, actor: str,
                   note: str | None = None, scope: str | None = None) -> Event:
    """Mark event ``code`` a duplicate of ``original_code`` (both inside region ``scope``):
    it takes the original's state and closure at once and follows it from then on. Refused
    for itself, for an original that is a duplicate itself (name its original instead), for
    an event already marked, or one that others duplicate."""
    if code == original_code:
        raise InvalidInput(f"事件 {code} 不能是自己的重复件 (an event cannot duplicate itself)")
    # lock in code order: two dispatchers linking the same pair both ways cannot deadlock
    first, second = sorted((code, original_code))
    locked = {c: workflow.locked_event(session, c, scope) for c in (first, second)}
    event, original = locked[code], locked[original_code]
    if original.duplicate_of is not None:
        root = workflow.event_code(session, original.duplicate_of)
        raise Conflict(f"事件 {original_code} 本身是 {root} 的重复件，请标记为 {root} 的重复件 "
                       f"(event {original_code} duplicates {root}: name {root} instead)",
                       original=root)
    if event.duplicate_of is not None:
        raise Conflict(f"事件 {code} 已是 {workflow.event_code(session, event.duplicate_of)} "
                       f"的重复件 (event {code} is already marked as a duplicate)")
    if session.scalar(select(exists().where(Event.duplicate_of == event.id))):
        raise Conflict(f"已有事件标记为 {code} 的重复件，不能再把它标为重复件 "
                       f"(other events duplicate {code}; mark those first)")
    suffix = f"：{note}" if note else ""
    workflow.write_log(session, event, original.status, actor,
                       f"标记为 {original_code} 的重复件，随原件处置{suffix}",
                       from_status=event.status)
    workflow.write_log(session, original, original.status, actor, f"合并重复件 {code}{suffix}",
                       from_status=original.status)
    event.duplicate_of = original.id
    event.status, event.closed_at = original.status, original.closed_at
    session.flush()
    return event

