"""Keys limited to a region see and act on their region only: events, KPIs, pages, imports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely import Point
from sqlalchemy.orm import Session

from gis.access import keys
from gis.access.callers import Caller
from gis.access.jurisdiction import inside as in_scope
from gis.access.jurisdiction import region_prefix
from tests.builders import (
    SUBDISTRICT,
    make_building,
    make_event,
    make_grid,
    make_region,
    square,
)

NORTH, SOUTH = "320706013001", "320706013002"


@pytest.fixture
def area(session: Session) -> dict:
    """Two communities of one subdistrict, a grid each, an open overdue event in each and an
    event still waiting for a location."""
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict",
                geom=square(119.19, 34.59, 0.06))
    grids, past = {}, datetime.now(UTC) - timedelta(days=3)
    for community, lon, code in ((NORTH, 119.20, "EV-N"), (SOUTH, 119.23, "EV-S")):
        make_region(session, code=community, parent_code=SUBDISTRICT,
                    geom=square(lon, 34.60, 0.02))
        grids[community] = make_grid(session, code=f"G-{community[-1]}",
                                     community_code=community, geom=square(lon, 34.60, 0.01))
        event = make_event(session, code=code, grid=grids[community], community_code=community,
                           geom=Point(lon + 0.005, 34.605))
        event.subdistrict_code, event.due_at, event.reported_at = SUBDISTRICT, past, past
    make_event(session, code="EV-NOWHERE", status="needs_location", address="某路1号")
    session.flush()
    return grids


def _auth(session: Session, role: str, region: str | None = None) -> dict:
    key = keys.create_key(session, role=role, region_code=region)
    return {"Authorization": f"Bearer {key}"}


def _codes(answer) -> set[str]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200, answer.text
    return {f["properties"]["code"] for f in answer.json()["features"]}


def test_region_prefix_goes_by_code_level() -> None:
    assert region_prefix("320706010000") == "320706010"
    assert region_prefix("320706000000") == "320706" and region_prefix(NORTH) == NORTH
    assert not in_scope("320706011001", "320706010000")  # rstrip("0") would say yes
    assert in_scope("320706010002", "320706010000") and in_scope("x", None)
    assert not in_scope(None, NORTH) and not in_scope(SUBDISTRICT, NORTH)
    assert in_scope("320706010002", Caller(role="planner", region_code="320706010000").scope)
    assert not in_scope("320706011001", Caller(role="planner", region_code="320706010000").scope)
    assert not in_scope(SUBDISTRICT, Caller(role="planner", region_code=NORTH).scope)  # one-way
    assert Caller(role="admin", region_code=NORTH).scope == NORTH  # --region for every role
    assert Caller(role="admin").scope is None


def test_region_dispatcher_lists_only_its_events(client: TestClient, session: Session,
                                                 area: dict) -> None:
    north = _auth(session, "dispatcher", NORTH)
    assert _codes(client.get("/api/v1/events", headers=north)) == {"EV-N"}
    everyone = _auth(session, "dispatcher")
    assert _codes(client.get("/api/v1/events", headers=everyone)) == {"EV-N", "EV-S",
                                                                       "EV-NOWHERE"}
    subdistrict = _auth(session, "dispatcher", SUBDISTRICT)
    assert _codes(client.get("/api/v1/events", headers=subdistrict)) == {"EV-N", "EV-S"}
    overdue = client.get("/api/v1/events/overdue", headers=north).json()["items"]
    assert [i["code"] for i in overdue] == ["EV-N"]
    kpis = client.get("/api/v1/kpis", params={"level": "community"}, headers=north).json()
    assert [i["unit_code"] for i in kpis["items"]] == [NORTH]


def test_region_dispatcher_is_refused_other_events(client: TestClient, session: Session,
                                                   area: dict) -> None:
    north = _auth(session, "dispatcher", NORTH)
    assert client.get("/api/v1/events/EV-N", headers=north).status_code == 200
    for method, path, body in (
            ("get", "/api/v1/events/EV-S", None),
            ("post", "/api/v1/events/EV-S/transitions", {"to": "accepted"}),
            ("post", "/api/v1/events/EV-S/escalate", {}),
            ("post", "/api/v1/events/EV-S/priority", {"priority": 1}),
            ("post", "/api/v1/events/EV-NOWHERE/location", {"lon": 119.205, "lat": 34.605})):
        answer = client.request(method, path, json=body, headers=north)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["code"] == "forbidden" and NORTH in answer.json()["detail"]
    moved = client.post("/api/v1/events/EV-N/transitions", json={"to": "accepted"},
                        headers=north)
    assert moved.status_code == 200 and moved.json()["properties"]["status"] == "accepted"
    assert client.get("/api/v1/events/EV-S", headers=north).status_code == 403  # unchanged


def test_region_admin_keeps_to_its_region(client: TestClient, session: Session,
                                          area: dict) -> None:
    admin = _auth(session, "admin", NORTH)
    assert _codes(client.get("/api/v1/events", headers=admin)) == {"EV-N"}
    kpis = client.get("/api/v1/kpis", params={"level": "community"}, headers=admin).json()
    assert [i["unit_code"] for i in kpis["items"]] == [NORTH]
    for method, path, body in (("get", "/api/v1/events/EV-S", None),
                               ("post", "/api/v1/events/EV-S/transitions", {"to": "accepted"}),
                               ("post", "/api/v1/events/EV-NOWHERE/location",
                                {"lon": 119.205, "lat": 34.605})):
        answer = client.request(method, path, json=body, headers=admin)
        assert answer.status_code == 403 and NORTH in answer.json()["detail"], path
    page = client.get("/map/dispatch", params={"event": "EV-S"}, headers=admin)
    assert page.status_code == 403 and "不在您的辖区" in page.text
    outside = {"category": "sanitation", "location": {"lon": 119.235, "lat": 34.605}}
    assert client.post("/api/v1/events", json=outside, headers=admin).status_code == 403
    everywhere = _auth(session, "admin")
    assert _codes(client.get("/api/v1/events", headers=everywhere)) == {"EV-N", "EV-S",
                                                                        "EV-NOWHERE"}
    assert client.get("/api/v1/events/EV-S", headers=everywhere).status_code == 200


def test_region_dispatcher_reports_only_inside(client: TestClient, session: Session,
                                               area: dict) -> None:
    north = _auth(session, "dispatcher", NORTH)
    inside = {"category": "sanitation", "location": {"lon": 119.205, "lat": 34.605}}
    assert client.post("/api/v1/events", json=inside, headers=north).status_code == 201
    outside = {"category": "sanitation", "location": {"lon": 119.235, "lat": 34.605}}
    refused = client.post("/api/v1/events/batch", json=[inside, outside], headers=north)
    assert refused.status_code == 403 and "event 2" in refused.json()["detail"]
    assert len(_codes(client.get("/api/v1/events", headers=north))) == 2  # batch undone


def test_dispatch_pages_keep_to_the_region(client: TestClient, session: Session,
                                           area: dict) -> None:
    worker = _auth(session, "grid_worker", NORTH)
    assert client.get("/map/dispatch", params={"event": "EV-N"}, headers=worker).status_code \
        == 200
    page = client.get("/map/dispatch", params={"event": "EV-S"}, headers=worker)
    assert page.status_code == 403 and "不在您的辖区" in page.text
    listing = client.get("/map/dispatch/list", headers=worker).text
    assert "EV-N" in listing and "EV-S" not in listing


def _grids_file(rows: list[tuple[str, str | None, float]]) -> bytes:
    frame = gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [f"新网格{r[0]}" for r in rows],
         "community_code": [r[1] for r in rows]},
        geometry=[square(r[2], 34.615, 0.004) for r in rows], crs=4490)
    return frame.to_json(ensure_ascii=False).encode()


def test_region_planner_imports_only_inside(client: TestClient, session: Session,
                                            area: dict) -> None:
    north = _auth(session, "planner", NORTH)
    body = _grids_file([("G-N2", NORTH, 119.20), ("G-S2", SOUTH, 119.23),
                        ("G-X", None, 119.21)])
    refused = client.post("/api/v1/import/grids", headers=north,
                          files={"file": ("grids.geojson", body)})
    assert refused.status_code == 422 and refused.json()["code"] == "import_rejected"
    rows = {r["code"]: r["reason"] for r in refused.json()["report"]["rows"]}
    assert set(rows) == {"G-S2", "G-X"}
    assert f"'{SOUTH}' is outside your jurisdiction {NORTH}" in rows["G-S2"]
    kept = client.post("/api/v1/import/grids", headers=north, params={"keep_good": "true"},
                       files={"file": ("grids.geojson", body)})
    assert kept.status_code == 200 and kept.json()["written"] == 1
    everyone = _auth(session, "planner")
    assert client.post("/api/v1/import/grids", headers=everyone,
                       files={"file": ("g.geojson", _grids_file([("G-S3", SOUTH, 119.23)]))}
                       ).status_code == 200


def test_region_planner_household_rows_follow_their_building(client: TestClient,
                                                            session: Session,
                                                            area: dict) -> None:
    make_building(session, code="B-N", grid=area[NORTH], community_code=NORTH,
                  geom=square(119.201, 34.601, 0.0004))
    make_building(session, code="B-S", grid=area[SOUTH], community_code=SOUTH,
                  geom=square(119.231, 34.601, 0.0004))
    session.flush()
    csv = b"code,building_code,size\nH-N,B-N,2\nH-S,B-S,3\n"
    answer = client.post("/api/v1/import/households", headers=_auth(session, "planner", NORTH),
                         params={"keep_good": "true"},
                         files={"file": ("households.csv", csv)})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["written"] == 1 and [r["code"] for r in report["rows"]] == ["H-S"]


def test_region_planner_cannot_import_rows_without_a_region(client: TestClient,
                                                            session: Session,
                                                            area: dict) -> None:
    csv = b"code,category,lon,lat\nE-1,sanitation,119.205,34.605\n"
    answer = client.post("/api/v1/import/events", headers=_auth(session, "planner", NORTH),
                         files={"file": ("events.csv", csv)})
    assert answer.status_code == 422
    [row] = answer.json()["report"]["rows"]
    assert "carry no community code" in row["reason"]
