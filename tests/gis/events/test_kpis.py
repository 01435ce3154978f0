"""KPIs per grid/community/subdistrict, computed by hand from a handful of events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from gis.access import keys
from gis.core.errors import InvalidInput
from gis.events import kpis
from tests.builders import SUBDISTRICT, make_event, make_grid, make_region, square

DAY = datetime(2026, 3, 10, 8, tzinfo=UTC)


@pytest.fixture
def scene(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013005", name="东社区", parent_code=SUBDISTRICT)
    a = make_grid(session, code="K-A", name="甲网格", community_code="320706013005",
                  geom=square(119.20, 34.60, 0.01))
    b = make_grid(session, code="K-B", name="乙网格", community_code="320706013005",
                  geom=square(119.21, 34.60, 0.01))
    specs = [  # grid, status, category, hours to close, due after h, satisfaction, escalated
        (a, "closed", "noise", 10, 24, 5, False),
        (a, "closed", "noise", 30, 24, 2, True),
        (a, "in_progress", "parking", None, 8, None, False),
        (b, "closed", "sanitation", 4, 24, 4, False),
        (b, "reported", "sanitation", None, 1000, None, True),
    ]
    for grid, status, category, took, due, score, up in specs:
        event = make_event(session, grid=grid, status=status, category=category)
        session.execute(text("""
            UPDATE event SET reported_at = :r, due_at = :d, closed_at = :c, satisfaction = :s,
                   escalation_level = :l, community_code = :com, subdistrict_code = :sub
            WHERE id = :i"""), {
            "r": DAY, "d": DAY + timedelta(hours=due),
            "c": DAY + timedelta(hours=took) if took else None, "s": score,
            "l": "community" if up else "grid", "com": "320706013005", "sub": SUBDISTRICT,
            "i": event.id})
    return a, b


def test_grid_kpis(session, scene):
    got = kpis.list_kpis(session, level="grid", start=date(2026, 3, 1), end=date(2026, 3, 31),
                         now=DAY + timedelta(hours=48))
    rows = {r["unit_code"]: r for r in got["items"]}
    a, b = rows["K-A"], rows["K-B"]
    assert a["unit_name"] == "甲网格" and a["events"] == 3 and a["closed"] == 2
    assert a["on_time_rate"] == 0.5 and a["mean_hours_to_close"] == 20.0
    assert a["satisfaction_rate"] == 0.5 and a["overdue"] == 1 and a["escalated"] == 1
    assert a["by_state"] == {"closed": 2, "in_progress": 1}
    assert (a["not_closed"], b["not_closed"]) == (1, 1)  # in_progress; reported
    assert a["by_category"] == {"noise": 2, "parking": 1}
    assert b["on_time_rate"] == 1.0 and b["overdue"] == 0 and b["satisfaction_rate"] == 1.0


def test_community_and_subdistrict_roll_up(session, scene):
    for level, code, name in (("community", "320706013005", "东社区"),
                              ("subdistrict", SUBDISTRICT, "测试街道")):
        rows = kpis.list_kpis(session, level=level, start=date(2026, 3, 10),
                              end=date(2026, 3, 10))["items"]
        assert [(r["unit_code"], r["unit_name"], r["events"]) for r in rows] == [
            (code, name, 5)]
        assert rows[0]["on_time_rate"] == pytest.approx(2 / 3, abs=1e-4)


def test_date_range_and_bad_input(session, scene):
    assert kpis.list_kpis(session, start=date(2026, 3, 11), end=date(2026, 3, 20))["items"] == []
    with pytest.raises(InvalidInput, match="level"):
        kpis.list_kpis(session, level="city")
    with pytest.raises(InvalidInput, match="after"):
        kpis.list_kpis(session, start=date(2026, 3, 2), end=date(2026, 3, 1))


def test_kpis_over_http(client, session, scene):
    headers = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    body = client.get("/api/v1/kpis", headers=headers, params={
        "level": "community", "from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body["items"][0]["events"] == 5 and body["from"] == "2026-03-01"
    assert client.get("/api/v1/kpis", headers=headers,
                      params={"level": "x"}).status_code == 422
    assert client.get("/api/v1/kpis").status_code == 401


def test_grid_kpis_come_in_pages_with_the_whole_total(session, scene):
    a, _ = scene
    make_event(session, grid=None, status="needs_location")  # no unit: its row comes last
    session.execute(text("UPDATE event SET reported_at = :r WHERE grid_id IS NULL"),
                    {"r": DAY})
    march = {"level": "grid", "start": date(2026, 3, 1), "end": date(2026, 3, 31),
             "now": DAY + timedelta(hours=48)}
    whole = kpis.list_kpis(session, **march)
    assert [r["unit_code"] for r in whole["items"]] == ["K-A", "K-B", None]
    assert whole["number_matched"] == 3 and whole["total"]["events"] == 6
    pages = [kpis.list_kpis(session, **march, limit=2, offset=k) for k in (0, 2, 4)]
    assert [[r["unit_code"] for r in p["items"]] for p in pages] == [["K-A", "K-B"], [None], []]
    assert [p["number_matched"] for p in pages] == [3, 3, 3]
    assert all(p["total"] == whole["total"] for p in pages)  # the whole region's, every page
    assert pages[0]["items"] == whole["items"][:2] and pages[1]["items"] == whole["items"][2:]
    assert pages[0]["items"][0]["unit_code"] == a.code
    with pytest.raises(InvalidInput, match="limit"):
        kpis.list_kpis(session, **march, limit=0)
    empty = kpis.list_kpis(session, **{**march, "start": date(2026, 4, 1),
                                       "end": date(2026, 4, 2)}, limit=2)
    assert empty["items"] == [] and empty["number_matched"] == 0


def test_kpis_over_http_page_the_grids(client, session, scene):
    headers = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    march = {"level": "grid", "from": "2026-03-01", "to": "2026-03-31"}
    body = client.get("/api/v1/kpis", headers=headers, params=march).json()
    assert (body["numberMatched"], body["numberReturned"]) == (2, 2)  # default page: 100
    first = client.get("/api/v1/kpis", headers=headers, params={**march, "limit": 1}).json()
    assert [r["unit_code"] for r in first["items"]] == ["K-A"]
    assert (first["numberMatched"], first["numberReturned"]) == (2, 1)
    following = [link["href"] for link in first["links"] if link["rel"] == "next"]
    second = client.get(following[0], headers=headers).json()
    assert [r["unit_code"] for r in second["items"]] == ["K-B"]
    assert second["total"] == first["total"] == body["total"]
    assert client.get("/api/v1/kpis", headers=headers,
                      params={**march, "limit": 0}).status_code == 422
