"""Dispatcher pages and event layers: content, offline assets, access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import pytest
from shapely import Point
from sqlalchemy import text

from gis.access import keys
from gis.events import queries
from layers import events as event_layers
from layers import page
from tests.builders import (
    SUBDISTRICT,
    make_event,
    make_facility,
    make_grid,
    make_region,
    make_worker,
    square,
)


@pytest.fixture
def incident(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013006", name="西社区", parent_code=SUBDISTRICT)
    grid = make_grid(session, code="G-D1", name="调度<网格>", community_code="320706013006",
                     geom=square(119.20, 34.60, 0.01))
    make_worker(session, name="孙七", phone="13955556666", duties="巡查走访、矛盾调解",
                grids=[grid])
    make_facility(session, name="西社区卫生服务站", geom=Point(119.2052, 34.6052))
    main = make_event(session, code="EV-MAIN", category="noise", grid=grid,
                      geom=Point(119.2050, 34.6050), description="夜间施工")
    near = make_event(session, code="EV-NEAR", category="parking", grid=grid,
                      geom=Point(119.2070, 34.6050))                    # ~183 m
    make_event(session, code="EV-FAR", category="parking", grid=grid,
               geom=Point(119.2090, 34.6050))                            # ~366 m
    session.execute(text("UPDATE event SET due_at = :d WHERE id = :i"),
                    {"d": datetime.now(UTC) - timedelta(hours=2), "i": near.id})
    return main


def _unescape_json(body: str) -> str:
    """Folium writes panel HTML and GeoJSON as JSON with \\uXXXX escapes: read them back."""
    body = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), body)
    return body.replace('\\"', '"').replace("\\/", "/")


def _auth(session, role="dispatcher"):
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def test_dispatch_page_shows_incident_grid_worker_neighbours_timeline(client, session,
                                                                      incident):
    from gis.events import workflow

    workflow.transition_event(session, "EV-MAIN", "accepted", actor="key:1:dispatcher",
                              note="已受理")
    response = client.get("/map/dispatch", params={"event": "EV-MAIN"},
                          headers=_auth(session))
    assert response.status_code == 200, response.text
    # facilities and open events nearby come after load, from the URL the page names
    assert "/map/layers/case?event=EV-MAIN" in response.text
    assert "EV-NEAR" not in response.text and "西社区卫生服务站" not in _unescape_json(
        response.text)
    layers = client.get("/map/layers/case", params={"event": "EV-MAIN"}, headers=_auth(session))
    assert layers.status_code == 200, layers.text
    body = _unescape_json(response.text) + layers.text
    assert "事件调度 · EV-MAIN" in body
    assert "调度&lt;网格&gt;" in body and "调度<网格>" not in body  # escaped
    assert "孙七" in body and "13955556666" in body and "巡查走访" in body
    assert "EV-NEAR" in body and "EV-FAR" not in body            # 300 m rule
    assert "西社区卫生服务站" in body
    assert "受理" in body and "已受理" in body                     # timeline
    assert "图例" in body
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', body)
    assert scripts and all(src.startswith("/static/") for src in scripts)


def test_dispatch_page_needs_a_key_and_a_known_event(client, session, incident):
    anonymous = client.get("/map/dispatch", params={"event": "EV-MAIN"}, follow_redirects=False)
    assert anonymous.status_code == 303  # to the login form (tests/api/test_map_login.py)
    missing = client.get("/map/dispatch", params={"event": "EV-NONE"}, headers=_auth(session))
    assert missing.status_code == 404


def test_dispatch_list_puts_overdue_first_and_links(client, session, incident):
    body = _unescape_json(client.get("/map/dispatch/list", params={"grid": "G-D1"},
                                     headers=_auth(session, "grid_worker")).text)
    assert "共 3 件，其中超期 1 件" in body
    table = body[body.index('<table class="gm-table gm-queue">'):]
    assert table.index("EV-NEAR") < table.index("EV-MAIN")
    assert 'href="/map/dispatch?event=EV-FAR"' in table


def test_nearby_events_are_open_ones_within_300_m(session, incident):
    nearby = queries.list_nearby_events(session, "EV-MAIN")
    assert nearby["code"].tolist() == ["EV-NEAR"]
    assert 150 < nearby["distance_m"].iloc[0] < 220


def test_heat_layer_is_served_offline(client, session, incident):
    frame = queries.list_events(session, limit=None)
    fmap = page.base_map(page.frame_bounds(frame), title="事件热力图")
    event_layers.event_heat_layer(frame).add_to(fmap)
    html = page.render(fmap)
    assert event_layers.HEAT_JS_URL in html and "cdn.jsdelivr" not in html
    assert "34.605" in html
    script = client.get(event_layers.HEAT_JS_URL)
    assert script.status_code == 200 and "heat" in script.text.lower()


def test_event_layer_marks_overdue_red():
    frame = gpd.GeoDataFrame(
        {"code": ["A", "B"], "status": ["reported", "dispatched"], "overdue": [False, True],
         "category_label": ["噪音扰民", "乱停乱放"], "status_label": ["上报", "派遣"]},
        geometry=[Point(119.2, 34.6), Point(119.21, 34.6)], crs="EPSG:4490")
    data = event_layers.event_layer(frame).data
    colours = {f["properties"]["code"]: f["properties"]["colour"] for f in data["features"]}
    assert colours == {"A": event_layers.STATE_COLOURS["reported"],
                       "B": event_layers.OVERDUE_COLOUR}
