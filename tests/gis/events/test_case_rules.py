"""Who may make which move (role x state): the one rule behind the case page's buttons and
the API's refusals. Pure: no database."""

from __future__ import annotations

import pytest

from gis.events import workflow


@pytest.mark.parametrize(("role", "status", "expected"), [
    ("dispatcher", "reported", ("accepted", "returned")),
    ("dispatcher", "resolved", ("verified", "in_progress")),
    ("dispatcher", "verified", ("closed",)),
    ("admin", "dispatched", ("in_progress", "returned")),
    ("grid_worker", "reported", ("accepted",)),
    ("grid_worker", "accepted", ()),                     # dispatching is the centre's
    ("grid_worker", "dispatched", ("in_progress", "returned")),
    ("grid_worker", "in_progress", ("resolved",)),
    ("grid_worker", "resolved", ()),                     # no checking of one's own work
    ("grid_worker", "verified", ()),
    ("viewer", "reported", ()),
    ("planner", "in_progress", ()),
])
def test_moves_depend_on_role_and_state(role, status, expected):
    assert workflow.allowed_transitions(status, role=role) == expected


def test_reopening_needs_an_unhappy_callback():
    assert workflow.allowed_transitions("closed", role="dispatcher", satisfaction=None) == ()
    assert workflow.allowed_transitions("closed", role="dispatcher", satisfaction=4) == ()
    assert workflow.allowed_transitions("closed", role="dispatcher",
                                        satisfaction=2) == ("reopened",)
    assert workflow.allowed_transitions("closed", role="grid_worker", satisfaction=1) == ()


def test_a_duplicate_makes_no_moves_of_its_own():
    assert workflow.allowed_transitions("reported", role="admin", duplicate=True) == ()


def test_every_worker_move_is_a_move_of_the_table():
    for from_status, to in workflow.WORKER_MOVES:
        assert to in workflow.TRANSITIONS[from_status]


def test_escalation_stops_at_the_department():
    assert [workflow.next_escalation(level) for level in workflow.ESCALATION] == [
        "community", "subdistrict", "department", None]
