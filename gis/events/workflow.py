"""The event workflow: states, the transition table, escalation (吹哨), time limits, overdue.

States: reported 上报 → accepted 受理 → dispatched 派遣 → in_progress 处置 → resolved 办结 →
verified 核查 → closed 结案; returned 退回 (needs a reason) and reopened 重办 (only after an
unhappy satisfaction callback, score 1–2). ``needs_location`` holds address-only events a
dispatcher still has to place. Every change writes ``event_log`` with who and when.

Time limits (hours from report to closure, 处置时限) come from ``gis.events.categories`` and can be
overridden per category with ``GRIDMAP_EVENT_TIME_LIMITS='{"noise": 12, "parking": 4}'``, read
once into ``Settings.event_time_limits`` and passed down as ``time_limits``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import geopandas as gpd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import db, sql
from gis.core.errors import Conflict, InvalidInput, NotFound
from gis.core.frames import frame_from_sql
from gis.events import categories
from gis.models import Event, EventLog

STATE_LABELS: Final = {
    "needs_location": "待定位", "reported": "上报", "accepted": "受理", "dispatched": "派遣",
    "in_progress": "处置", "resolved": "办结", "verified": "核查", "closed": "结案",
    "returned": "退回", "reopened": "重办",
}
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "needs_location": ("reported", "returned"),
    "reported": ("accepted", "returned"),
    "accepted": ("dispatched", "returned"),
    "dispatched": ("in_progress", "returned"),
    "in_progress": ("resolved",),
    "resolved": ("verified", "in_progress"),  # 核查不通过: back to the worker
    "verified": ("closed",),
    "closed": ("reopened",),
    "returned": ("accepted", "closed"),
    "reopened": ("accepted", "dispatched"),
}
DONE_STATES: Final = ("resolved", "verified", "closed")
"""Work done (办结) and after: checked (核查), closed (结案)."""
OPEN_STATES: Final = tuple(s for s in TRANSITIONS if s not in DONE_STATES)
"""An event is open (未办结) until it is resolved. SQL asks ``gm_event_open(status)``
(migration 0007), which holds this same list."""
ESCALATION: Final = ("grid", "community", "subdistrict", "department")
ESCALATION_LABELS: Final = {"grid": "网格", "community": "社区", "subdistrict": "街道",
                            "department": "职能部门"}
PRIORITIES: Final = {1: "紧急", 2: "一般", 3: "较低"}
DUPLICATE_RADIUS_M: Final = 50.0
UNHAPPY_MAX: Final = 2
"""Satisfaction scores 1..UNHAPPY_MAX count as unhappy and allow reopening."""
SATISFIED_MIN: Final = 4
"""Scores from here up count as satisfied (满意) in the KPIs."""


TimeLimits = Mapping[str, float]
"""Per-category time-limit overrides in hours (``Settings.event_time_limits``)."""


def time_limit_hours(category: str, time_limits: TimeLimits | None = None) -> float:
    """Hours an event of ``category`` may take from report to closure: ``time_limits``'
    override, else the category's default."""
    override = (time_limits or {}).get(category)
    if override is not None:
        return float(override)
    known = categories.get_category(category)
    return float(known.time_limit_hours if known else categories.BY_CODE["other"].time_limit_hours)


def state_code(value: str) -> str:
    """A state code from its code or Chinese name (受理 -> accepted); see
    ``categories.code_from_name``."""
    return categories.code_from_name(value, STATE_LABELS)


def check_category(category: str, *, where: str = "") -> None:
    """InvalidInput listing the valid category codes unless ``category`` is one of them."""
    if categories.get_category(category) is None:
        valid = ", ".join(f"{c.code} ({c.label_zh})" for c in categories.CATEGORIES)
        raise InvalidInput(f"{where}unknown category '{category}'; valid categories: {valid}",
                           valid=[c.code for c in categories.CATEGORIES])


def write_log(session: Session, event: Event, to_status: str, actor: str,
              note: str | None = None, from_status: str | None = None) -> None:
    """Append one line to the event's log (who, when, from, to, why)."""
    session.add(EventLog(event_id=event.id, from_status=from_status, to_status=to_status,
                         actor=actor, note=note))


def check_event_scope(event: Event, scope: str | None) -> None:
    """Forbidden unless the event's community (or subdistrict) lies in region ``scope``; an
    unplaced event belongs to no region, so only callers without a scope may touch it."""
    jurisdiction.check_inside(event.community_code or event.subdistrict_code, scope,
                           f"event {event.code}")


def _locked_event(session: Session, code: str, scope: str | None = None) -> Event:
    event = session.scalar(select(Event).where(Event.code == code).with_for_update())
    if event is None:
        raise NotFound(f"no event with code '{code}'")
    check_event_scope(event, scope)
    return event


def transition_event(session: Session, code: str, to: str, *, actor: str,
                     note: str | None = None, scope: str | None = None,
                     time_limits: TimeLimits | None = None) -> Event:
    """Move event ``code`` to state ``to`` if the table allows it (else Conflict listing the
    allowed states); returned needs a reason, reopened an unhappy satisfaction score (and a
    new due time under ``time_limits``). ``to`` may be a state's Chinese name (受理).
    ``scope`` (here and below): the caller's region code; events outside are Forbidden."""
    to = state_code(to)
    event = _locked_event(session, code, scope)
    allowed = TRANSITIONS.get(event.status, ())
    if to not in allowed:
        shown = ", ".join(f"{s} ({STATE_LABELS[s]})" for s in allowed) or "none"
        raise Conflict(f"event {code} is {event.status} ({STATE_LABELS[event.status]}); it "
                       f"cannot go to '{to}'. Allowed next states: {shown}",
                       status=event.status, allowed=list(allowed))
    if to == "returned" and not (note and note.strip()):
        raise InvalidInput("returning an event (退回) needs a reason in 'note'")
    if to == "reopened" and (event.satisfaction is None or event.satisfaction > UNHAPPY_MAX):
        raise Conflict(f"event {code} can be reopened only after an unhappy satisfaction "
                       f"callback (score 1–{UNHAPPY_MAX}); its score is {event.satisfaction}",
                       status=event.status, allowed=list(allowed))
    now = datetime.now(UTC)
    if to == "closed":
        event.closed_at = now
    if to == "reopened":
        event.closed_at = None
        event.due_at = now + timedelta(hours=time_limit_hours(event.category, time_limits))
    write_log(session, event, to, actor, note, from_status=event.status)
    event.status = to
    session.flush()
    return event


def escalate_event(session: Session, code: str, *, actor: str, note: str | None = None,
                   scope: str | None = None) -> Event:
    """吹哨报到: raise the event one level (grid → community → subdistrict → department)."""
    event = _locked_event(session, code, scope)
    if event.status == "closed":
        raise Conflict(f"event {code} is closed; reopen it before escalating", allowed=[])
    level = ESCALATION.index(event.escalation_level)
    if level == len(ESCALATION) - 1:
        raise Conflict(f"event {code} is already escalated to the top level "
                       f"({ESCALATION_LABELS['department']})", allowed=[])
    target = ESCALATION[level + 1]
    write_log(session, event, event.status, actor,
              f"吹哨 escalated {event.escalation_level} → {target}"
              + (f": {note}" if note else ""), from_status=event.status)
    event.escalation_level = target
    session.flush()
    return event


def rate_event(session: Session, code: str, score: int, *, actor: str,
               note: str | None = None, scope: str | None = None) -> Event:
    """Record the satisfaction callback (1–5) of a resolved, verified or closed event."""
    if not 1 <= score <= 5:
        raise InvalidInput(f"satisfaction must be 1..5; got {score}")
    event = _locked_event(session, code, scope)
    if event.status in OPEN_STATES:
        raise Conflict(f"event {code} is {event.status}; satisfaction is asked after it is "
                       "resolved", status=event.status, allowed=[])
    event.satisfaction = score
    write_log(session, event, event.status, actor, f"满意度 satisfaction {score}/5"
              + (f": {note}" if note else ""), from_status=event.status)
    session.flush()
    return event


def prioritize_event(session: Session, code: str, priority: int, *, actor: str,
                     note: str | None = None, scope: str | None = None) -> Event:
    """Set the priority (1 紧急 urgent, 2 一般 normal, 3 较低 low)."""
    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {sorted(PRIORITIES)} (1 = urgent)")
    event = _locked_event(session, code, scope)
    write_log(session, event, event.status, actor, f"priority {event.priority} → {priority}"
              + (f": {note}" if note else ""), from_status=event.status)
    event.priority = priority
    session.flush()
    return event


def list_overdue(session: Session, *, at: datetime | None = None,
                 grid_code: str | None = None, scope: str | None = None
                 ) -> list[dict[str, Any]]:
    """Open events past their due time at ``at`` (default now), most overdue first; only
    those inside region ``scope`` when given."""
    rows = session.execute(text("""
        SELECT e.code, e.category, e.status, e.priority, e.due_at, g.code AS grid_code,
               extract(epoch FROM (coalesce(CAST(:at AS timestamptz), now()) - e.due_at))
                 / 3600.0 AS overdue_hours
        FROM event e LEFT JOIN grid g ON g.id = e.grid_id
        WHERE gm_event_open(e.status) AND e.due_at < coalesce(CAST(:at AS timestamptz), now())
          AND (CAST(:grid AS text) IS NULL OR g.code = CAST(:grid AS text))
          AND gm_in_region(coalesce(e.community_code, e.subdistrict_code), :scope)
        ORDER BY e.due_at, e.code"""), {"at": at, "grid": grid_code,
                                        "scope": jurisdiction.scope_prefix(scope)}).mappings().all()
    return [{**r, "due_at": r["due_at"].isoformat(), "overdue_hours": float(r["overdue_hours"])}
            for r in rows]


def events_near(session: Session, code: str, *, radius_m: float, same_category: bool = False,
                scope: str | None = None) -> gpd.GeoDataFrame:
    """Open events within ``radius_m`` (geodesic) of event ``code``, nearest first, with
    ``distance_m`` (EPSG:4490 points; reporters in clear: mask before answering); only those
    inside region ``scope`` and, with ``same_category``, of the event's own category."""
    return frame_from_sql(session, sql.load("event_nearby"), {
        "code": code, "radius": radius_m, "same_category": same_category,
        "scope": jurisdiction.scope_prefix(scope)})


def duplicate_hints(session: Session, code: str, *, scope: str | None = None
                    ) -> list[dict[str, Any]]:
    """Open events of the same category within 50 m (geodesic) of event ``code`` (inside
    region ``scope`` when given)."""
    near = events_near(session, code, radius_m=DUPLICATE_RADIUS_M, same_category=True,
                       scope=scope)
    return [{"code": r.code, "status": r.status, "description": r.description,
             "reported_at": r.reported_at.isoformat(), "distance_m": round(r.distance_m, 1)}
            for r in near.itertuples()]


def fill_due_dates(session: Session, event_ids: list[int] | None = None, *,
                   time_limits: TimeLimits | None = None) -> int:
    """Set ``due_at = reported_at + time limit`` (under ``time_limits``) where it is missing
    (imported events), in one UPDATE; returns the number of events changed."""
    codes = [c.code for c in categories.CATEGORIES]
    result = session.execute(text("""
        UPDATE event e
        SET due_at = e.reported_at + make_interval(secs => coalesce(l.hours, :other) * 3600)
        FROM event t
        LEFT JOIN unnest(CAST(:codes AS text[]), CAST(:hours AS float8[])) AS l(code, hours)
          ON l.code = t.category
        WHERE e.id = t.id AND e.due_at IS NULL
          AND (CAST(:ids AS int[]) IS NULL OR e.id = ANY(CAST(:ids AS int[])))"""),
        {"codes": codes, "hours": [time_limit_hours(c, time_limits) for c in codes],
         "other": time_limit_hours("other", time_limits), "ids": event_ids})
    session.flush()
    return db.rowcount(result)
