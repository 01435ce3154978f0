"""Event intake and workflow over HTTP: assignment on arrival, masking, 4xx, transitions."""

from __future__ import annotations

import pytest

from gis.access import keys
from gis.core import crs
from tests.builders import SUBDISTRICT, make_building, make_grid, make_region, make_worker, square


@pytest.fixture
def area(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013003", name="南社区", parent_code=SUBDISTRICT)
    grid = make_grid(session, code="G-E1", community_code="320706013003",
                     geom=square(119.20, 34.60, 0.01))
    make_worker(session, name="赵六", grids=[grid])
    make_building(session, address="朝阳东路12号3栋", grid=grid,
                  geom=square(119.203, 34.603, 0.0004))
    make_building(session, address="朝阳东路12号4栋", grid=grid,
                  geom=square(119.204, 34.603, 0.0004))
    return grid


def _auth(session, role: str) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def _event(**extra) -> dict:
    return {"category": "sanitation", "description": "垃圾堆放", "channel": "12345",
            "reporter": {"name": "张三丰", "phone": "13812345678"}, **extra}


def test_post_event_assigns_on_arrival_and_masks_reporter(client, session, area):
    x, y = crs.wgs84_to_gcj02(119.205, 34.605)
    response = client.post("/api/v1/events", headers=_auth(session, "dispatcher"), json=_event(
        location={"lon": float(x), "lat": float(y), "crs": "gcj02"}))
    assert response.status_code == 201, response.text
    event = response.json()
    props = event["properties"]
    assert props["grid_code"] == "G-E1" and props["grid_version"] == area.version
    assert props["community_code"] == "320706013003"
    assert props["subdistrict_code"] == SUBDISTRICT
    assert props["worker_name"] == "赵六"
    assert props["status"] == "reported" and props["due_at"]
    assert event["geometry"]["coordinates"] == pytest.approx([119.205, 34.605], abs=1e-8)
    assert event["timeline"][0]["to_status"] == "reported"
    assert event["timeline"][0]["actor"].endswith(":dispatcher")
    # every answer masks the reporter; a dispatcher sees it whole only when asking (audited)
    seen = client.get(f"/api/v1/events/{event['id']}", headers=_auth(session, "viewer")).json()
    assert seen["properties"]["reporter_phone"] == "138****5678"
    assert seen["properties"]["reporter_name"] == "张**"
    assert props["reporter_phone"] == "138****5678"
    whole = client.get(f"/api/v1/events/{event['id']}?reveal=true",
                       headers=_auth(session, "dispatcher")).json()
    assert whole["properties"]["reporter_phone"] == "13812345678"


def test_anonymous_callers_cannot_post_or_read(client, area):
    assert client.post("/api/v1/events", json=_event(
        location={"lon": 119.205, "lat": 34.605})).status_code == 401
    assert client.get("/api/v1/events").status_code == 401


@pytest.mark.parametrize(("body", "code", "words"), [
    (_event(category="aliens", location={"lon": 119.205, "lat": 34.605}), "invalid_input",
     "valid categories: sanitation"),
    (_event(location={"lon": 34.605, "lat": 119.205}), "invalid_coordinates", "swapped"),
    (_event(location={"lon": 119.205, "lat": 34.605, "crs": "wgs1234"}), "unknown_crs",
     "unknown CRS"),
    (_event(location={"lon": 119.5, "lat": 34.605}), "outside_jurisdiction", "outside"),
    (_event(), "invalid_input", "location"),
    (_event(channel="fax", location={"lon": 119.205, "lat": 34.605}), "invalid_input",
     "unknown channel"),
])
def test_bad_events_get_clear_4xx(client, session, area, body, code, words):
    response = client.post("/api/v1/events", headers=_auth(session, "dispatcher"), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert words in response.json()["detail"]


def test_address_only_events_are_placed_or_queued(client, session, area):
    headers = _auth(session, "dispatcher")
    placed = client.post("/api/v1/events", headers=headers,
                         json=_event(address="江苏省连云港市海州区朝阳东路１２号３幢２单元")).json()
    assert placed["properties"]["status"] == "reported"
    assert placed["properties"]["grid_code"] == "G-E1"
    queued = client.post("/api/v1/events", headers=headers,
                         json=_event(address="朝阳东路12号")).json()
    assert queued["properties"]["status"] == "needs_location"
    assert queued["geometry"] is None and queued["properties"]["grid_code"] is None
    listed = client.get("/api/v1/events", params={"status": "needs_location"},
                        headers=headers).json()
    assert [f["id"] for f in listed["features"]] == [queued["id"]]
    # the dispatcher places it; it is assigned and becomes reported
    response = client.post(f"/api/v1/events/{queued['id']}/location", headers=headers,
                           json={"lon": 119.2035, "lat": 34.6035, "note": "电话确认"})
    assert response.status_code == 200, response.text
    assert response.json()["properties"]["status"] == "reported"
    assert response.json()["properties"]["grid_code"] == "G-E1"
    again = client.post(f"/api/v1/events/{queued['id']}/location", headers=headers,
                        json={"lon": 119.2035, "lat": 34.6035})
    assert again.status_code == 409


def test_batch_intake_is_all_or_nothing(client, session, area):
    headers = _auth(session, "grid_worker")
    good = [_event(location={"lon": 119.201 + i / 1000, "lat": 34.605}) for i in range(5)]
    response = client.post("/api/v1/events/batch", headers=headers,
                           json=[*good, _event(address="朝阳东路12号4栋")])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["count"] == 6
    assert {e["grid_code"] for e in body["events"]} == {"G-E1"}
    bad = client.post("/api/v1/events/batch", headers=headers,
                      json=[*good, _event(category="ufo", location={"lon": 119.2,
                                                                     "lat": 34.6})])
    assert bad.status_code == 422 and "event 6" in bad.json()["detail"]
    assert client.get("/api/v1/events", headers=headers).json()["numberMatched"] == 6


def test_transitions_over_http(client, session, area):
    headers = _auth(session, "dispatcher")
    code = client.post("/api/v1/events", headers=headers, json=_event(
        location={"lon": 119.205, "lat": 34.605})).json()["id"]
    url = f"/api/v1/events/{code}/transitions"
    illegal = client.post(url, headers=headers, json={"to": "closed"})
    assert illegal.status_code == 409
    assert illegal.json()["allowed"] == ["accepted", "returned"]
    assert "accepted" in illegal.json()["detail"]
    for state in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        response = client.post(url, headers=headers, json={"to": state, "note": "ok"})
        assert response.status_code == 200, response.text
    event = client.get(f"/api/v1/events/{code}", headers=headers).json()
    assert event["properties"]["status"] == "closed" and event["properties"]["closed_at"]
    assert [t["to_status"] for t in event["timeline"]] == [
        "reported", "accepted", "dispatched", "in_progress", "resolved", "verified", "closed"]
    assert client.post(url, headers=headers, json={"to": "reopened"}).status_code == 409
    assert client.post(f"/api/v1/events/{code}/satisfaction", headers=headers,
                       json={"score": 1, "note": "没处理好"}).status_code == 200
    assert client.post(url, headers=headers, json={"to": "reopened"}).status_code == 200
    viewer = _auth(session, "viewer")
    assert client.post(url, headers=viewer, json={"to": "accepted"}).status_code == 403
