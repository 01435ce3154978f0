"""The dispatcher's list page (/map/dispatch/list): filters, overdue first, paging, markers
coloured by state and clustered, a heat map to switch on, all offline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from shapely import Point
from sqlalchemy import text

from gis.access import keys
from gis.events import queue
from gis.events.queue import QueueFilter
from layers import dispatch_list
from tests.builders import SUBDISTRICT, make_event, make_grid, make_region, square

NORTH, SOUTH = "320706013001", "320706013002"


def _text(body: str) -> str:
    body = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), body)
    return body.replace('\\"', '"').replace("\\/", "/")


@pytest.fixture
def events(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code=NORTH, name="北社区", parent_code=SUBDISTRICT)
    make_region(session, code=SOUTH, name="南社区", parent_code=SUBDISTRICT)
    north = make_grid(session, code="G-N1", name="北苑网格", community_code=NORTH,
                      geom=square(119.20, 34.61, 0.01))
    south = make_grid(session, code="G-S1", name="南苑网格", community_code=SOUTH,
                      geom=square(119.20, 34.60, 0.01))
    specs = [("L-N1", north, NORTH, "noise", "12345", 1), ("L-N2", north, NORTH, "parking",
             "patrol", 3), ("L-S1", south, SOUTH, "noise", "patrol", 10),
             ("L-S2", south, SOUTH, "sanitation", "resident_app", 40)]
    for code, grid, community, category, channel, days_ago in specs:
        event = make_event(session, code=code, grid=grid, community_code=community,
                           category=category, channel=channel, geom=Point(119.205, 34.605))
        session.execute(text("UPDATE event SET reported_at = :r, due_at = :d WHERE id = :i"),
                        {"r": datetime.now(UTC) - timedelta(days=days_ago),
                         "d": datetime.now(UTC) + timedelta(hours=1 if code != "L-S1" else -5),
                         "i": event.id})
    make_event(session, code="L-DONE", grid=north, community_code=NORTH, status="closed")
    return specs


def _codes(session, **form) -> list[str]:
    return queue.list_queue(session, QueueFilter.from_form(**form))["code"].tolist()


def test_filters_narrow_the_list_and_overdue_comes_first(session, events):
    assert _codes(session) == ["L-S1", "L-N1", "L-N2", "L-S2"]  # overdue, then by due time
    assert _codes(session, view="overdue") == ["L-S1"]
    assert _codes(session, grid="G-N1") == ["L-N1", "L-N2"]
    assert _codes(session, community=SOUTH) == ["L-S1", "L-S2"]
    assert _codes(session, category="noise", channel="patrol") == ["L-S1"]
    assert _codes(session, status="closed", view="all") == ["L-DONE"]
    today = datetime.now(UTC).date()
    assert _codes(session, since=str(today - timedelta(days=5)), until=str(today)) == [
        "L-N1", "L-N2"]
    assert _codes(session, grid="", category="", since="") == _codes(session)  # empty: any
    assert _codes(session, view="needs_location") == []


def test_list_page_filters_pages_and_draws_offline(client, session, events, monkeypatch):
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='dispatcher')}"}
    page = _text(client.get("/map/dispatch/list", headers=auth,
                            params={"community": SOUTH, "grid": ""}).text)
    assert "共 2 件，其中超期 1 件" in page
    table = page[page.index("gm-queue"):]
    assert table.index("L-S1") < table.index("L-S2") and "L-N1" not in table
    assert '<option value="G-N1">' not in page  # the pickers' choices come after load
    layers = client.get(dispatch_list.LAYERS_URL, headers=auth, params={"community": SOUTH})
    picker = layers.json()["panels"]["gm-f-grid"]
    assert '<option value="G-N1">北苑网格（北社区）</option>' in picker  # grid picked by name
    assert f'<option value="{SOUTH}" selected>' in layers.json()["panels"]["gm-f-community"]
    assert f'<option value="{SOUTH}" selected>' in page  # the chosen one is there at once
    assert "噪音扰民" in table and "网格员巡查" in table and "超期" in table
    assert 'href="/map/dispatch?event=L-S1"' in table and 'class="gm-fly"' in table
    assert "markerClusterGroup" in page and "事件热力图" in page and "事件状态" in page
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any("leaflet.markercluster" in s for s in scripts)
    assert all(s.startswith("/static/") for s in scripts)
    monkeypatch.setattr(dispatch_list, "PAGE_SIZE", 1)
    second = _text(client.get("/map/dispatch/list", headers=auth,
                              params={"community": SOUTH, "page": 2}).text)
    table = second[second.index("gm-queue"):]
    assert "第 2 / 2 页" in second and "L-S2" in table and "L-S1" not in table


def test_list_map_dots_come_after_load_with_the_same_filters(client, session, events):
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='dispatcher')}"}
    page = _text(client.get("/map/dispatch/list", headers=auth,
                            params={"community": SOUTH, "grid": ""}).text)
    assert f"{dispatch_list.LAYERS_URL}?view=open&amp;community={SOUTH}" in page or (
        f'{dispatch_list.LAYERS_URL}?view=open&community={SOUTH}' in page)
    table = page[page.index("gm-queue"):]
    assert "L-S1" in table and "L-S1" not in page[:page.index("gm-queue")]  # no dots inline
    answer = client.get(dispatch_list.LAYERS_URL, headers=auth, params={"community": SOUTH})
    assert answer.status_code == 200
    rows = answer.json()["layers"]["events"]
    assert [row[5] for row in rows] == ["L-S1", "L-S2"]  # overdue first, as the table
    assert rows[0][2] == "#d32f2f" and "办理此事件" in rows[0][4]  # overdue red, a popup
    assert len(answer.json()["layers"]["heat"]) == 2
    anonymous = client.get(dispatch_list.LAYERS_URL, params={"community": SOUTH},
                           follow_redirects=False)
    assert anonymous.status_code in (303, 401) and "L-S1" not in anonymous.text


def test_list_refuses_unknown_filters_in_chinese(client, session, events):
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='dispatcher')}",
            "Accept": "text/html"}
    bad = client.get("/map/dispatch/list", headers=auth, params={"since": "昨天"})
    assert bad.status_code == 422 and "日期格式" in bad.text
    assert client.get("/map/dispatch/list", headers=auth,
                      params={"status": "lost"}).status_code == 422
