"""The event workflow: states, the transition table, escalation (吹哨), time limits, overdue.

States: reported 上报 → accepted 受理 → dispatched 派遣 → in_progress 处置 → resolved 办结 →
verified 核查 → closed 结案; returned 退回 (needs a reason) and reopened 重办 (only after an
unhappy satisfaction callback, score 1–2). ``needs_location`` holds address-only events a
dispatcher still has to place. Every change writes ``event_log`` with who and when.

Who may make which move: ``allowed_transitions`` (role and state), the one rule behind both
the case page's buttons and the API's refusal. A duplicate (重复件, ``mark_duplicate``) makes
no moves of its own: its state and closure follow its original's.

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
from gis.core.errors import Conflict, Forbidden, InvalidInput, NotFound
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
ACTION_LABELS: Final = {
    "accepted": "受理", "dispatched": "派遣", "in_progress": "处置", "resolved": "办结",
    "verified": "核查", "closed": "结案", "returned": "退回", "reopened": "重办",
    "reported": "上报",
}
"""The button of each move, by the state it leads to."""
WORKER_MOVES: Final = frozenset({
    ("reported", "accepted"), ("dispatched", "in_progress"), ("dispatched", "returned"),
    ("in_progress", "resolved")})
"""A grid worker takes what they found (受理), works and finishes what was sent to them;
dispatching, checking, closing and reopening stay with the dispatch centre (and admin)."""
DONE_STATES: Final = ("resolved", "verified", "closed")
"""Work done (办结) and after: checked (核查), closed (结案)."""
OPEN_STATES: Final = tuple(s for s in TRANSITIONS if s not in DONE_STATES)
"""An event is open (未办结) until it is resolved. SQL asks ``gm_event_open(status)``
(migration 0007), which holds this same list."""
NOT_CLOSED_STATES: Final = tuple(s for s in TRANSITIONS if s != "closed")
"""An event is not closed (未结案) until it is closed: resolved 办结 and verified 核查 events
still wait for 核查/结案 and stay with a grid and its worker. SQL asks
``gm_event_not_closed(status)`` (migration 0011), which holds this same rule; plans move every
not-closed event of a retired grid."""
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


def may_move(role: str | None, from_status: str, to: str) -> bool:
    """Whether ``role`` may move an event from ``from_status`` to ``to`` (the table allowing
    it); ``None`` is the system itself (imports, tests), admin and dispatcher may make every
    move of the table, a grid worker ``WORKER_MOVES``."""
    if to not in TRANSITIONS.get(from_status, ()):
        return False
    return role in (None, "admin", "dispatcher") or (
        role == "grid_worker" and (from_status, to) in WORKER_MOVES)


def allowed_transitions(status: str, *, role: str | None, satisfaction: int | None = None,
                        duplicate: bool = False) -> tuple[str, ...]:
    """The states ``role`` may move an event in ``status`` to now: none for a duplicate
    (it follows its original), reopening (重办) only after an unhappy callback."""
    if duplicate:
        return ()
    unhappy = satisfaction is not None and satisfaction <= UNHAPPY_MAX
    return tuple(to for to in TRANSITIONS.get(status, ())
                 if may_move(role, status, to) and (to != "reopened" or unhappy))


def next_escalation(level: str) -> str | None:
    """The level above ``level`` (吹哨), None at the top."""
    index = ESCALATION.index(level)
    return ESCALATION[index + 1] if index + 1 < len(ESCALATION) else None


def allowed_actions(event: Event, *, role: str | None) -> dict[str, Any]:
    """What ``role`` may do with ``event`` now: moves (state, button, whether a reason is
    needed), 吹哨 (the next level, or why not), priority, callback, marking as duplicate."""
    duplicate = event.duplicate_of is not None
    moves = allowed_transitions(event.status, role=role, satisfaction=event.satisfaction,
                                duplicate=duplicate)
    upper = next_escalation(event.escalation_level)
    if duplicate:
        why_not = "重复件随原件处置"
    elif event.status == "closed":
        why_not = "事件已结案"
    elif upper is None:
        why_not = f"已在最高层级（{ESCALATION_LABELS[event.escalation_level]}）"
    else:
        why_not = None
    return {
        "status": event.status, "status_label": STATE_LABELS[event.status],
        "transitions": [{"to": to, "label": ACTION_LABELS[to],
                         "needs_note": to == "returned"} for to in moves],
        "escalation_level": event.escalation_level,
        "escalation_label": ESCALATION_LABELS[event.escalation_level],
        "escalate_to": None if why_not else upper,
        "escalate_label": None if why_not or upper is None else ESCALATION_LABELS[upper],
        "escalate_refused": why_not,
        "priority": event.priority, "may_prioritize": not duplicate and event.status != "closed",
        "may_rate": event.status in DONE_STATES and not duplicate,
        "may_mark_duplicate": role in ("admin", "dispatcher") and not duplicate
        and event.status != "closed",
    }


def event_actions(session: Session, code: str, *, role: str | None,
                  scope: str | None = None) -> dict[str, Any]:
    """``allowed_actions`` of event ``code`` for ``role`` (NotFound; Forbidden outside
    region ``scope``), with its code."""
    event = session.scalar(select(Event).where(Event.code == code)
                           .execution_options(populate_existing=True))
    if event is None:
        raise NotFound(f"事件 {code} 不存在 (no event with code '{code}')")
    check_event_scope(event, scope)
    return {"code": code, **allowed_actions(event, role=role)}


def check_event_scope(event: Event, scope: str | None) -> None:
    """Forbidden unless the event's community (or subdistrict) lies in region ``scope``; an
    unplaced event lies in the region it was recorded in (``region_code``; with none, only
    callers without a scope may touch it)."""
    jurisdiction.check_inside(event.community_code or event.subdistrict_code
                              or event.region_code, scope,
                           f"event {event.code}")


def locked_event(session: Session, code: str, scope: str | None = None) -> Event:
    """Event ``code`` locked for update: NotFound, or Forbidden outside region ``scope``."""
    event = session.scalar(select(Event).where(Event.code == code).with_for_update()
                           .execution_options(populate_existing=True))
    if event is None:
        raise NotFound(f"事件 {code} 不存在 (no event with code '{code}')")
    check_event_scope(event, scope)
    return event


def _check_move(session: Session, event: Event, to: str, role: str | None) -> None:
    """Conflict or Forbidden (naming what is allowed) unless ``role`` may move ``event``."""
    if event.duplicate_of is not None:
        original = event_code(session, event.duplicate_of)
        raise Conflict(f"事件 {event.code} 是 {original} 的重复件，随原件处置；请处理原件 "
                       f"(event {event.code} is a duplicate of {original}: act on the original)",
                       status=event.status, allowed=[], original=original)
    table = TRANSITIONS.get(event.status, ())
    if to not in table:
        shown = ", ".join(f"{s} ({STATE_LABELS[s]})" for s in table) or "none"
        raise Conflict(f"event {event.code} is {event.status} ({STATE_LABELS[event.status]}); "
                       f"it cannot go to '{to}'. Allowed next states: {shown}",
                       status=event.status, allowed=list(table))
    if not may_move(role, event.status, to):
        mine = allowed_transitions(event.status, role=role, satisfaction=event.satisfaction)
        shown = ", ".join(f"{s} ({ACTION_LABELS[s]})" for s in mine) or "none"
        raise Forbidden(f"角色 {role} 不能{ACTION_LABELS.get(to, to)}此事件 (role '{role}' may "
                        f"not move event {event.code} from {event.status} to '{to}'); "
                        f"allowed for you: {shown}", allowed=list(mine))


def event_code(session: Session, event_id: int) -> str:
    """The code of the event with row id ``event_id`` (for messages)."""
    return str(session.scalar(select(Event.code).where(Event.id == event_id)))


def transition_event(session: Session, code: str, to: str, *, actor: str,
                     note: str | None = None, scope: str | None = None,
                     role: str | None = None, time_limits: TimeLimits | None = None) -> Event:
    """Move event ``code`` to state ``to`` if the table allows it (else Conflict listing the
    allowed states) and ``role`` may (else Forbidden; None: the system); returned needs a
    reason, reopened an unhappy satisfaction score (and a new due time under ``time_limits``).
    Its duplicates follow. ``to`` may be a state's Chinese name (受理). ``scope`` (here and
    below): the caller's region code; events outside are Forbidden."""
    to = state_code(to)
    event = locked_event(session, code, scope)
    _check_move(session, event, to, role)
    if to == "returned" and not (note and note.strip()):
        raise InvalidInput("退回需要填写原因 (returning an event needs a reason in 'note')")
    if to == "reopened" and (event.satisfaction is None or event.satisfaction > UNHAPPY_MAX):
        raise Conflict(f"event {code} can be reopened only after an unhappy satisfaction "
                       f"callback (score 1–{UNHAPPY_MAX}); its score is {event.satisfaction}",
                       status=event.status, allowed=list(TRANSITIONS[event.status]))
    now = datetime.now(UTC)
    if to == "closed":
        event.closed_at = now
    if to == "reopened":
        event.closed_at = None
        event.due_at = now + timedelta(hours=time_limit_hours(event.category, time_limits))
    write_log(session, event, to, actor, note, from_status=event.status)
    event.status = to
    session.flush()
    follow_original(session, event, actor=actor)
    return event


def follow_original(session: Session, original: Event, *, actor: str) -> int:
    """Give ``original``'s state, closure and due time to its duplicates that differ, each
    change logged (one statement); returns how many followed."""
    result = session.execute(sql.statement("event_follow_original"), {
        "id": original.id, "status": original.status, "closed_at": original.closed_at,
        "due_at": original.due_at, "actor": actor, "note": f"随原件 {original.code} 处置"})
    return db.rowcount(result)


def escalate_event(session: Session, code: str, *, actor: str, note: str | None = None,
                   scope: str | None = None, from_level: str | None = None) -> Event:
    """吹哨报到: raise the event one level (grid → community → subdistrict → department).
    ``from_level``: the level the caller saw; when someone escalated since (a second click,
    another dispatcher), Conflict instead of a second raise."""
    event = locked_event(session, code, scope)
    here = ESCALATION_LABELS[event.escalation_level]
    if from_level is not None and from_level != event.escalation_level:
        raise Conflict(f"事件 {code} 已吹哨至{here}，未再次升级 (event {code} was escalated "
                       f"to {event.escalation_level} meanwhile; not raised again)",
                       escalation_level=event.escalation_level)
    refused = allowed_actions(event, role=None)["escalate_refused"]
    if refused:
        why = ("it is closed; reopen it before escalating" if event.status == "closed"
               else "it is a duplicate; escalate its original" if event.duplicate_of
               else f"it is already at the top level ({event.escalation_level})")
        raise Conflict(f"事件 {code} 不能再吹哨：{refused} (event {code} cannot be "
                       f"escalated: {why})", escalation_level=event.escalation_level)
    target = ESCALATION[ESCALATION.index(event.escalation_level) + 1]
    write_log(session, event, event.status, actor,
              f"吹哨：{here} → {ESCALATION_LABELS[target]}" + (f"：{note}" if note else ""),
              from_status=event.status)
    event.escalation_level = target
    session.flush()
    return event


def rate_event(session: Session, code: str, score: int, *, actor: str,
               note: str | None = None, scope: str | None = None) -> Event:
    """Record the satisfaction callback (1–5) of a resolved, verified or closed event."""
    if not 1 <= score <= 5:
        raise InvalidInput(f"satisfaction must be 1..5; got {score}")
    event = locked_event(session, code, scope)
    if event.status in OPEN_STATES:
        raise Conflict(f"事件 {code} 尚未办结，办结后才能回访 (event {code} is {event.status}; "
                       "satisfaction is asked after it is resolved)",
                       status=event.status, allowed=[])
    event.satisfaction = score
    write_log(session, event, event.status, actor, f"满意度回访：{score} 分（满分 5 分）"
              + (f"：{note}" if note else ""), from_status=event.status)
    session.flush()
    return event


def prioritize_event(session: Session, code: str, priority: int, *, actor: str,
                     note: str | None = None, scope: str | None = None) -> Event:
    """Set the priority (1 紧急 urgent, 2 一般 normal, 3 较低 low)."""
    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {sorted(PRIORITIES)} (1 = urgent)")
    event = locked_event(session, code, scope)
    before = PRIORITIES.get(event.priority, str(event.priority))
    write_log(session, event, event.status, actor, f"优先级：{before} → {PRIORITIES[priority]}"
              + (f"：{note}" if note else ""), from_status=event.status)
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
          AND gm_in_region(coalesce(e.community_code, e.subdistrict_code, e.region_code), :scope)
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
        "code": code, "at": None, "radius": radius_m, "same_category": same_category,
        "scope": jurisdiction.scope_prefix(scope)})


def duplicate_hints(session: Session, code: str, *, scope: str | None = None,
                    at: datetime | None = None) -> list[dict[str, Any]]:
    """Open events of the same category within 50 m (geodesic) of event ``code`` (inside
    region ``scope`` when given); ``at``, the event's reported time when known, prunes its
    month partition at planning."""
    # plain rows, not events_near's frame: every intake answers with these hints, and a
    # GeoDataFrame of a few rows cost more than the query
    rows = session.execute(sql.statement("event_nearby"), {
        "code": code, "at": at, "radius": DUPLICATE_RADIUS_M, "same_category": True,
        "scope": jurisdiction.scope_prefix(scope)}).mappings()
    return [{"code": r["code"], "status": r["status"], "description": r["description"],
             "reported_at": r["reported_at"].astimezone(UTC).isoformat(),
             "distance_m": round(r["distance_m"], 1)} for r in rows]


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
