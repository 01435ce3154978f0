"""Staffed grids: a plan proposes a grid worker for every new grid, warns of the gaps, takes
the planner's picks, and apply refuses unstaffed residential grids unless confirmed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans
from gis.core.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from tests.builders import make_grid, make_worker
from tests.plan_cases import PAST, make_lattice


def _staffed_lattice(session: Session):  # type: ignore[no-untyped-def]
    """The lattice with two workers on G1, one on G2 and one free worker of the community
    (linked only to a grid that ended before)."""
    community, grids, _ = make_lattice(session, valid_from=PAST)
    first = make_worker(session, code="W1", grids=[grids["G1"]])
    second = make_worker(session, code="W2", grids=[grids["G1"]])
    other = make_worker(session, code="W4", grids=[grids["G2"]])
    ended = make_grid(session, code=f"{community}900", community_code=community)
    ended.valid_from, ended.valid_to = datetime(2019, 1, 1, tzinfo=UTC), PAST
    session.flush()
    free = make_worker(session, code="W3", grids=[ended])
    return community, {w.code: w for w in (first, second, other, free)}


def test_proposal_carries_fills_and_warns(session: Session) -> None:
    community, _ = _staffed_lattice(session)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    staff = plans.plan_report(session, plan.id)["staffing"]
    assert len(staff["grids"]) == 6
    sources = {w["worker_code"]: w["source"] for g in staff["grids"] for w in g["workers"]}
    assert sources["W3"] == "community" and sources["W4"] == "carried"
    # W1 and W2 both came from G1: one stays carried, the other fills a gap (surplus)
    assert sorted([sources["W1"], sources["W2"]]) == ["carried", "surplus"]
    staffed = [g for g in staff["grids"] if g["workers"]]
    assert all(len(g["workers"]) == 1 for g in staffed) and len(staffed) == 4
    gaps = staff["unstaffed"]
    assert sorted(g["seq"] for g in gaps) == sorted(g["seq"] for g in staff["grids"]
                                                    if not g["workers"])
    assert all(g["code"].startswith(community) for g in gaps)
    with pytest.raises(Conflict) as info:
        plans.apply_plan(session, plan.id, actor="t")
    for gap in gaps:
        assert f"#{gap['seq']} ({gap['code']})" in info.value.message
    assert "confirm_unstaffed" in info.value.message
    assert plans.get_plan(session, plan.id).status == "draft"


def test_planner_picks_then_apply_links_every_new_grid(session: Session) -> None:
    community, _ = _staffed_lattice(session)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    gaps = [g["seq"] for g in plans.plan_report(session, plan.id)["staffing"]["unstaffed"]]
    extra = [make_worker(session, code=f"W{9 + i}") for i in range(len(gaps))]
    with pytest.raises(InvalidInput):
        plans.set_plan_workers(session, plan.id, {99: "W9"}, actor="t")
    with pytest.raises(NotFound):
        plans.set_plan_workers(session, plan.id, {gaps[0]: "nobody"}, actor="t")
    with pytest.raises(PreconditionFailed):
        plans.set_plan_workers(session, plan.id, {gaps[0]: "W9"}, actor="t", expected=7)
    picks = {seq: w.code for seq, w in zip(gaps, extra, strict=True)}
    plans.set_plan_workers(session, plan.id, picks, actor="t", expected=plan.version)
    assert plan.version == 2
    staff = plans.plan_report(session, plan.id)["staffing"]
    assert staff["unstaffed"] == []
    picked = {g["seq"]: g["workers"] for g in staff["grids"] if g["seq"] in picks}
    assert all(w[0]["source"] == "planner" for w in picked.values())
    applied = plans.apply_plan(session, plan.id, actor="t")  # no confirmation needed
    assert applied["unstaffed"] == []
    bare = session.execute(text("""
        SELECT g.code FROM grid g WHERE g.code = ANY(:codes) AND g.valid_to IS NULL
          AND NOT EXISTS (SELECT 1 FROM grid_worker_grid wg
                          WHERE wg.grid_id = g.id AND wg.is_primary)"""),
        {"codes": applied["grids_created"]}).scalars().all()
    assert bare == []
    assert {w["worker_code"] for w in applied["workers_carried"]} >= set(picks.values())


def test_confirmed_apply_lists_the_unstaffed(session: Session) -> None:
    community, _, _ = make_lattice(session, valid_from=PAST)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    applied = plans.apply_plan(session, plan.id, actor="t", confirm_unstaffed=True)
    assert len(applied["unstaffed"]) == 6
    report = plans.plan_report(session, plan.id)
    assert report["staffing"]["unstaffed"] == applied["unstaffed"]
    assert report["changes"] == applied["changes"]
