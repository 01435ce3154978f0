"""What the dispatcher console needs from the API: unclear addresses saved in the caller's
region and placed by its keys, reverse geocoding, the one search box, the console page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access import keys
from gis.core import crs
from tests.builders import (
    SUBDISTRICT,
    make_building,
    make_grid,
    make_region,
    make_worker,
    square,
)
from tests.layers.test_base_map import seen_over_http

NORTH, SOUTH, OTHER = "320706013001", "320706013002", "320706014001"
UNCLEAR = "阳光花园小区"  # a compound without a building number is never clear


@pytest.fixture
def area(session: Session) -> dict:
    """Subdistrict 013 with communities 001 (grid G-N, compound 阳光花园, two buildings) and
    002 (grid G-S); a community 014001 of another subdistrict (grid G-O) to the east."""
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706014000", name="别的街道", level="subdistrict")
    grids = {}
    for community, parent, lon, code in ((NORTH, SUBDISTRICT, 119.20, "G-N"),
                                         (SOUTH, SUBDISTRICT, 119.22, "G-S"),
                                         (OTHER, "320706014000", 119.24, "G-O")):
        make_region(session, code=community, name=f"社区{community[-4:]}", parent_code=parent,
                    geom=square(lon, 34.60, 0.02))
        grids[community] = make_grid(session, code=code, name=f"{code}网格",
                                     community_code=community, geom=square(lon, 34.60, 0.01))
    make_worker(session, name="赵六", phone="13900006666", supervision_phone="0518-88886666",
                grids=[grids[NORTH]])
    for n, lon in ((1, 119.203), (2, 119.206)):
        make_building(session, code=f"B-N{n}", address=f"朝阳东路12号{n}栋",
                      compound="阳光花园小区", grid=grids[NORTH], community_code=NORTH,
                      geom=square(lon, 34.603, 0.0004))
    return grids


def _auth(session: Session, role: str, region: str | None = None) -> dict:
    key = keys.create_key(session, role=role, region_code=region)
    return {"Authorization": f"Bearer {key}"}


def test_an_unclear_address_from_a_subdistrict_key_is_saved_and_placed(
        client: TestClient, session: Session, area: dict) -> None:
    subdistrict = _auth(session, "dispatcher", SUBDISTRICT)
    taken = client.post("/api/v1/events", headers=subdistrict, json={
        "category": "noise", "channel": "12345", "address": UNCLEAR})
    assert taken.status_code == 201, taken.text
    event = taken.json()["properties"]
    assert event["status"] == "needs_location" and event["region_code"] == SUBDISTRICT
    queue = client.get("/api/v1/events", params={"status": "needs_location"},
                       headers=subdistrict).json()
    assert [f["id"] for f in queue["features"]] == [event["code"]]
    north = _auth(session, "dispatcher", NORTH)  # narrower than where it was recorded
    assert client.get("/api/v1/events", params={"status": "needs_location"},
                      headers=north).json()["features"] == []
    url = f"/api/v1/events/{event['code']}/location"
    outside = client.post(url, headers=subdistrict, json={"lon": 119.245, "lat": 34.605})
    assert outside.status_code == 403 and "不在您的辖区" in outside.json()["detail"]
    placed = client.post(url, headers=subdistrict, json={"lon": 119.2032, "lat": 34.6032})
    assert placed.status_code == 200, placed.text
    props = placed.json()["properties"]
    assert (props["status"], props["grid_code"], props["community_code"]) == (
        "reported", "G-N", NORTH)
    assert props["worker_phone"] == "13900006666"
    assert client.get(f"/api/v1/events/{event['code']}", headers=north).status_code == 200


def test_geocode_candidates_carry_the_grid_workers_phone(client: TestClient, session: Session,
                                                         area: dict) -> None:
    body = client.get("/api/v1/geocode", params={"q": "朝阳东路十二号一幢"},
                      headers=_auth(session, "viewer")).json()
    top = body["candidates"][0]
    assert top["building_code"] == "B-N1" and body["clear"]
    assert (top["worker_name"], top["worker_phone"], top["worker_supervision_phone"]) == (
        "赵六", "13900006666", "0518-88886666")


def test_reverse_geocoding_answers_grid_worker_and_nearest_address(
        client: TestClient, session: Session, area: dict) -> None:
    x, y = crs.wgs84_to_gcj02(119.2031, 34.6031)
    params = {"lon": float(x), "lat": float(y), "crs": "gcj02"}
    assert client.get("/api/v1/geocode/reverse", params=params).status_code == 401
    body = client.get("/api/v1/geocode/reverse", params=params,
                      headers=_auth(session, "dispatcher", SUBDISTRICT)).json()
    assert body["place"]["grid"]["code"] == "G-N"
    assert body["place"]["worker"]["phone"] == "13900006666"
    assert body["building"]["address"] == "朝阳东路12号1栋"
    assert body["building"]["distance_m"] < 30 and abs(body["lon"] - 119.2031) < 1e-5
    other = client.get("/api/v1/geocode/reverse", params=params,
                       headers=_auth(session, "dispatcher", SOUTH)).json()
    assert other["place"]["grid"]["code"] == "G-N" and other["building"] is None
    far = client.get("/api/v1/geocode/reverse", params={"lon": 119.40, "lat": 34.60},
                     headers=_auth(session, "viewer"))
    assert far.status_code == 422 and "超出辖区范围" in far.json()["detail"]


@pytest.mark.parametrize(("q", "search_crs", "kind", "grid"), [
    ("119.2062, 34.6031", "EPSG:4490", "coordinates", "G-N"),
    ("119.2262，34.6031", "EPSG:4326", "coordinates", "G-S"),
    ("G-S", "EPSG:4490", "grid", "G-S"),
    ("G-O网格", "EPSG:4490", "grid", "G-O"),
    ("B-N2", "EPSG:4490", "building", "G-N"),
    ("海州区朝阳东路12号2幢", "EPSG:4490", "address", "G-N"),
    ("阳光花园2号楼", "EPSG:4490", "compound", "G-N"),
])
def test_search_reads_what_a_caller_says(client: TestClient, session: Session, area: dict,
                                         q: str, search_crs: str, kind: str, grid: str) -> None:
    body = client.get("/api/v1/geocode/search", params={"q": q, "crs": search_crs},
                      headers=_auth(session, "dispatcher")).json()
    assert (body["kind"], body["place"]["grid"]["code"]) == (kind, grid), body
    if grid == "G-N":
        assert body["building"]["address"] == "朝阳东路12号2栋"


def test_search_converts_pasted_gcj02_and_bd09(client: TestClient, session: Session,
                                               area: dict) -> None:
    headers = _auth(session, "dispatcher")
    for name, convert in (("gcj02", crs.wgs84_to_gcj02), ("bd09", crs.wgs84_to_bd09)):
        x, y = convert(119.2262, 34.6031)
        body = client.get("/api/v1/geocode/search", headers=headers,
                          params={"q": f"{float(x):.6f},{float(y):.6f}", "crs": name}).json()
        assert body["place"]["grid"]["code"] == "G-S", name
        assert abs(body["lon"] - 119.2262) < 2e-5 and abs(body["lat"] - 34.6031) < 2e-5


def test_search_refuses_with_a_message(client: TestClient, session: Session,
                                       area: dict) -> None:
    headers = _auth(session, "dispatcher")
    missing = client.get("/api/v1/geocode/search", params={"q": "火星路999号"}, headers=headers)
    assert missing.status_code == 404 and "没有找到" in missing.json()["detail"]
    blank = client.get("/api/v1/geocode/search", params={"q": "  "}, headers=headers)
    assert blank.status_code == 422
    swapped = client.get("/api/v1/geocode/search", params={"q": "34.6031,119.2262"},
                         headers=headers)
    assert swapped.status_code == 422


def test_console_page_for_intake_roles(client: TestClient, session: Session,
                                       area: dict) -> None:
    page = client.get("/map/dispatch", headers=_auth(session, "dispatcher", SUBDISTRICT))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for part in ("gm-search", "gm-address", "gm-category", "gm-channel", "gm-description",
                 "gm-reporter", "gm-phone", "gm-queue", "/static/gridmap/console.js",
                 "gmConsole.start", 'name="gm-csrf"'):  # labels: tests/layers, tests/e2e
        assert part in page.text, part
    seen = seen_over_http(client, "/map/dispatch",  # its grids come after load
                          headers=_auth(session, "dispatcher", SUBDISTRICT))
    assert "G-N" in seen and "G-O" not in seen  # the grids of its region
    assert client.get("/map/dispatch", headers=_auth(session, "grid_worker")).status_code == 200
    assert client.get("/map/dispatch", headers=_auth(session, "viewer")).status_code == 403
    anonymous = client.get("/map/dispatch", follow_redirects=False)
    assert anonymous.status_code == 303 and "/map/login" in anonymous.headers["location"]
