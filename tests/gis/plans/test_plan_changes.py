"""Numbers that hold: the change set the review shows is what apply does and what the
database shows afterwards; not-closed events follow; 多格合一 ends the merged thematic grids."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans

KONGWANG, NORTH = "320706013003", "320706013001"


def _state(s: Session) -> dict[str, pd.DataFrame]:
    """Buildings' and events' grids and the grids in force, to diff around an apply."""
    conn = s.connection()
    return {
        "buildings": pd.read_sql(text("SELECT id, grid_id, households, residents FROM building"),
                                 conn).set_index("id"),
        "events": pd.read_sql(text("SELECT id, grid_id, status FROM event"), conn)
        .set_index("id"),
        "grids": pd.read_sql(text("SELECT id, code FROM grid WHERE valid_to IS NULL"), conn)
        .set_index("id")}


def _changed(old: pd.Series, new: pd.Series) -> pd.Series:
    """True where the grid id changed (no grid = -1, so NaN never differs from NaN)."""
    return old.fillna(-1).ne(new.reindex(old.index).fillna(-1))


def _diff(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> dict:
    """The change summary as the database shows it."""
    b0, b1 = before["buildings"], after["buildings"]
    moved = b0[_changed(b0["grid_id"], b1["grid_id"])]
    e0, e1 = before["events"], after["events"]
    events = e0[_changed(e0["grid_id"], e1["grid_id"])]
    g0, g1 = before["grids"], after["grids"]
    return {"grids_retired": sorted(g0.loc[~g0.index.isin(g1.index), "code"]),
            "grids_created": sorted(g1.loc[~g1.index.isin(g0.index), "code"]),
            "buildings_reassigned": len(moved),
            "households_reassigned": int(moved["households"].sum()),
            "residents_reassigned": int(moved["residents"].sum()),
            "events_reassigned": len(events)}


@pytest.mark.parametrize(("kind", "scope"), [("balance", KONGWANG), ("merge", NORTH)])
def test_preview_equals_apply_equals_database(demo_session: Session, kind: str,
                                              scope: str) -> None:
    s = demo_session
    plan = plans.create_plan(s, kind=kind, scope_code=scope, created_by="t")
    report = plans.plan_report(s, plan.id)
    preview = report["changes"]
    assert preview["buildings_reassigned"] > 0 and preview["grids_created"]
    assert report["metrics"]["buildings_moved"] == preview["buildings_reassigned"]
    assert report["metrics"]["residents_reassigned"] == preview["residents_reassigned"]
    before = _state(s)
    applied = plans.apply_plan(s, plan.id, actor="t", confirm_unstaffed=True)
    assert applied["changes"] == preview
    assert applied["buildings_reassigned"] == preview["buildings_reassigned"]
    assert len(applied["events_reassigned"]) == preview["events_reassigned"]
    assert _diff(before, _state(s)) == preview
    assert plans.plan_report(s, plan.id)["changes"] == preview


def test_not_closed_events_follow_with_a_log_line(demo_session: Session) -> None:
    s = demo_session
    plan = plans.create_plan(s, kind="balance", scope_code=KONGWANG, created_by="t")
    retired = [int(g) for g in plan.params["retired"]]
    waiting = s.execute(text("SELECT count(*) FROM event WHERE grid_id = ANY(:r) "
                             "AND status IN ('resolved', 'verified')"),
                        {"r": retired}).scalar_one()
    assert waiting > 0  # the demo has resolved events waiting for 核查/结案 on these grids
    closed = s.execute(text("SELECT id, grid_id FROM event WHERE grid_id = ANY(:r) "
                            "AND status = 'closed'"), {"r": retired}).all()
    applied = plans.apply_plan(s, plan.id, actor="t", confirm_unstaffed=True)
    stranded = s.execute(text("""
        SELECT count(*) FROM event e JOIN grid g ON g.id = e.grid_id
        WHERE g.valid_to IS NOT NULL AND gm_event_not_closed(e.status)
          AND e.community_code = :c"""), {"c": KONGWANG}).scalar_one()
    assert stranded == 0
    moved = [e["event_id"] for e in applied["events_reassigned"]]
    logged = s.execute(text("SELECT count(DISTINCT event_id) FROM event_log "
                            "WHERE event_id = ANY(:ids) AND note LIKE '网格调整%'"),
                       {"ids": moved}).scalar_one()
    assert logged == len(moved) > waiting
    inside = s.execute(text("""
        SELECT count(*) FROM event e JOIN grid g ON g.id = e.grid_id
        WHERE e.id = ANY(:ids) AND NOT ST_Covers(g.geom, e.geom)"""),
        {"ids": moved}).scalar_one()
    assert inside == 0  # each went to the grid now holding its point
    # closed events stay with the grid they were closed on (history)
    for event_id, grid_id in closed:
        assert s.execute(text("SELECT grid_id FROM event WHERE id = :e"),
                         {"e": event_id}).scalar_one() == grid_id


def test_merge_ends_thematic_grids_and_history_answers_every_theme(
        demo_session: Session) -> None:
    s = demo_session
    themes = ("party", "security", "civil")
    thematic = s.execute(text("""
        SELECT id FROM grid WHERE valid_to IS NULL AND community_code = :c
          AND theme = ANY(:t)"""), {"c": NORTH, "t": list(themes)}).scalars().all()
    assert thematic
    building = s.execute(text("SELECT code FROM building WHERE community_code = :c "
                              "ORDER BY code LIMIT 1"), {"c": NORTH}).scalar_one()
    before = {t: plans.list_building_grid_history(s, building, theme=t) for t in themes}
    plan = plans.create_plan(s, kind="merge", scope_code=NORTH, created_by="t")
    assert set(thematic) <= set(plans.change_set(s, plan).retired["id"])
    applied = plans.apply_plan(s, plan.id, actor="t", confirm_unstaffed=True)
    at = pd.Timestamp(applied["applied_at"]).to_pydatetime()
    still = s.execute(text("SELECT count(*) FROM grid WHERE id = ANY(:ids) "
                           "AND valid_to IS NULL"), {"ids": list(thematic)}).scalar_one()
    assert still == 0
    # the crosswalk keeps every merged thematic grid's link to the new grids
    linked = set(plans.list_crosswalk(s, plan.id)["old_grid_id"])
    assert set(thematic) <= linked
    for theme in themes:
        old = before[theme]
        assert len(old) == 1
        past = plans.list_building_grid_history(s, building, theme=theme,
                                                at=at - timedelta(seconds=1))
        assert past["grid_code"].tolist() == old["grid_code"].tolist()
        assert plans.list_building_grid_history(s, building, theme=theme, at=at).empty
    unified = plans.list_building_grid_history(s, building, at=at)
    assert unified["grid_code"].iloc[0] in applied["grids_created"]
