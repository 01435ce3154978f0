"""The event workflow on PostGIS: table, reasons, escalation, overdue, duplicates, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shapely import Point
from sqlalchemy import text

from gis.core.errors import Conflict, InvalidInput
from gis.events import workflow
from gis.models.events import EVENT_STATES
from tests.builders import make_event


def test_every_state_has_a_label_and_every_target_is_a_state():
    assert set(workflow.TRANSITIONS) == set(workflow.STATE_LABELS)
    for targets in workflow.TRANSITIONS.values():
        assert set(targets) <= set(workflow.STATE_LABELS)


def test_sql_open_states_are_the_python_ones(session):
    """gm_event_open (migration 0007) answers exactly workflow.OPEN_STATES, for every state."""
    rows = session.execute(text("SELECT s, gm_event_open(s) FROM unnest(CAST(:s AS text[])) s"),
                           {"s": list(EVENT_STATES)}).all()
    assert {s for s, is_open in rows if is_open} == set(workflow.OPEN_STATES)
    assert set(workflow.OPEN_STATES) | set(workflow.DONE_STATES) == set(EVENT_STATES)
    assert "resolved" not in workflow.OPEN_STATES and "returned" in workflow.OPEN_STATES


def test_sql_not_closed_states_are_the_python_ones(session):
    """gm_event_not_closed (migration 0011) answers exactly workflow.NOT_CLOSED_STATES."""
    rows = session.execute(text("SELECT s, gm_event_not_closed(s) "
                                "FROM unnest(CAST(:s AS text[])) s"),
                           {"s": list(EVENT_STATES)}).all()
    assert {s for s, not_closed in rows if not_closed} == set(workflow.NOT_CLOSED_STATES)
    assert {"resolved", "verified"} <= set(workflow.NOT_CLOSED_STATES)
    assert "closed" not in workflow.NOT_CLOSED_STATES


def test_illegal_transition_lists_the_allowed_ones(session):
    event = make_event(session, category="sanitation")
    with pytest.raises(Conflict) as info:
        workflow.transition_event(session, event.code, "resolved", actor="t")
    assert info.value.details["allowed"] == ["accepted", "returned"]
    assert "accepted (受理)" in info.value.message


def test_happy_path_writes_the_log(session):
    event = make_event(session, category="sanitation")
    for state in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        workflow.transition_event(session, event.code, state, actor="key:9:dispatcher")
    assert event.status == "closed" and event.closed_at is not None
    log = session.execute(text("SELECT from_status, to_status, actor FROM event_log "
                               "WHERE event_id = :i ORDER BY id"), {"i": event.id}).all()
    assert [(f, t) for f, t, _ in log][:2] == [("reported", "accepted"),
                                               ("accepted", "dispatched")]
    assert {a for *_, a in log} == {"key:9:dispatcher"}


def test_return_needs_a_reason_and_reopen_an_unhappy_callback(session):
    event = make_event(session, category="noise")
    with pytest.raises(InvalidInput, match="reason"):
        workflow.transition_event(session, event.code, "returned", actor="t")
    workflow.transition_event(session, event.code, "returned", actor="t", note="非本辖区")
    workflow.transition_event(session, event.code, "closed", actor="t")
    with pytest.raises(Conflict, match="unhappy"):
        workflow.transition_event(session, event.code, "reopened", actor="t")
    workflow.rate_event(session, event.code, 5, actor="t")
    with pytest.raises(Conflict):
        workflow.transition_event(session, event.code, "reopened", actor="t")
    workflow.rate_event(session, event.code, 2, actor="t")
    workflow.transition_event(session, event.code, "reopened", actor="t")
    assert event.status == "reopened" and event.closed_at is None
    assert event.due_at > datetime.now(UTC)


def test_escalation_climbs_to_the_department_and_stops(session):
    event = make_event(session)
    levels = [workflow.escalate_event(session, event.code, actor="t", note="需协调").
              escalation_level for _ in range(3)]
    assert levels == ["community", "subdistrict", "department"]
    with pytest.raises(Conflict, match="top level"):
        workflow.escalate_event(session, event.code, actor="t")


def test_overdue_events_are_found(session):
    late = make_event(session, category="parking")
    on_time = make_event(session, category="parking")
    done = make_event(session, category="parking", status="closed")
    past = datetime.now(UTC) - timedelta(hours=3)
    session.execute(text("UPDATE event SET due_at = :d WHERE id IN (:a, :c)"),
                    {"d": past, "a": late.id, "c": done.id})
    session.execute(text("UPDATE event SET due_at = :d WHERE id = :b"),
                    {"d": datetime.now(UTC) + timedelta(hours=3), "b": on_time.id})
    overdue = workflow.list_overdue(session)
    assert [o["code"] for o in overdue] == [late.code]
    assert overdue[0]["overdue_hours"] == pytest.approx(3, abs=0.1)
    earlier = workflow.list_overdue(session, at=past - timedelta(hours=1))
    assert earlier == []


def test_duplicate_hints_same_category_within_50_m(session):
    here = make_event(session, category="noise", geom=Point(119.2050, 34.6050))
    near = make_event(session, category="noise", geom=Point(119.2053, 34.6051))   # ~29 m
    make_event(session, category="parking", geom=Point(119.2051, 34.6050))       # other kind
    make_event(session, category="noise", geom=Point(119.2060, 34.6050))         # ~92 m
    make_event(session, category="noise", status="closed", geom=Point(119.2050, 34.6050))
    hints = workflow.duplicate_hints(session, here.code)
    assert [h["code"] for h in hints] == [near.code]
    assert 20 < hints[0]["distance_m"] < 40


def test_time_limits_come_from_categories_and_the_given_overrides(monkeypatch):
    monkeypatch.setenv("GRIDMAP_EVENT_TIME_LIMITS", '{"street_vending": 7}')  # not read here
    assert workflow.time_limit_hours("street_vending") == 4
    assert workflow.time_limit_hours("street_vending", {"street_vending": 2.5}) == 2.5
    assert workflow.time_limit_hours("noise", {"street_vending": 2.5}) == 24
    with pytest.raises(InvalidInput, match="valid categories"):
        workflow.check_category("ufo")


def test_fill_due_dates_for_imported_events(session):
    event = make_event(session, category="parking")
    session.execute(text("UPDATE event SET due_at = NULL, reported_at = :r WHERE id = :i"),
                    {"r": datetime(2026, 1, 1, tzinfo=UTC), "i": event.id})
    assert workflow.fill_due_dates(session, [event.id]) == 1
    session.refresh(event)
    assert event.due_at == datetime(2026, 1, 1, 8, tzinfo=UTC)  # 乱停乱放: 8 h
    assert workflow.fill_due_dates(session, [event.id]) == 0
