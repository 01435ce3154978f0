"""Absurd input answers 4xx with a reason a person can act on, never 500 or 503 (issue 10)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access import keys
from tests.gis.iofiles import COMMUNITY, make_region

SQUARE = "POLYGON((119.2 34.6, 119.201 34.6, 119.201 34.601, 119.2 34.601, 119.2 34.6))"


def admin(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create_key(session, role='admin')}"}


@pytest.mark.parametrize(("query", "words"), [
    ("from=0001-01-01&to=9999-12-31", "between 1900-01-01 and 2099-12-31"),
    ("to=9999-12-31", "between 1900-01-01 and 2099-12-31"),
    ("from=0001-01-01", "between 1900-01-01 and 2099-12-31"),
    ("from=2026-05-02&to=2026-05-01", "must not be after"),
])
def test_absurd_kpi_dates_are_422_naming_the_range(client: TestClient, session: Session,
                                                   query: str, words: str) -> None:
    answer = client.get(f"/api/v1/kpis?{query}", headers=admin(session))
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["detail"]


@pytest.mark.parametrize("url", [
    "/api/v1/locate?lon=119.2&lat=34.6&at=0001-01-01T00:00:00Z",
    "/api/v1/locate?lon=119.2&lat=34.6&at=9999-12-31T23:59:59Z",
    "/open311/v2/requests.json?start_date=0001-01-01T00:00:00Z",
    "/open311/v2/requests.json?start_date=2026-05-02T00:00:00Z&end_date=2026-05-01T00:00:00Z",
])
def test_absurd_instants_are_4xx(client: TestClient, session: Session, url: str) -> None:
    answer = client.get(url, headers=admin(session))
    assert answer.status_code in (400, 422), answer.text
    assert "1900-01-01" in answer.text or "must not be after" in answer.text


@pytest.mark.parametrize(("wkt", "words"), [
    ("POLYGON((119.2 34.6, NaN 34.6, 119.201 34.601, 119.2 34.6))", "not numbers"),
    ("POLYGON((119.2 34.6, Inf 34.6, 119.201 34.601, 119.2 34.6))", "unreadable"),
    ("POLYGON((119.2 34.6, 119.201 34.6, 119.201 34.601, 119.2 34.601))", "is not closed"),
    ("POLYGON((119.2 34.6, 119.201 34.6, 119.2 34.6))", "too few points"),
    ("POLYGON EMPTY", "empty"),
    ("POINT(119.2 34.6)", "wrong geometry type"),
    ("POLYGON((119.2 34.6, 119.201 34.6", "unreadable geometry: check the WKT"),
])
def test_broken_grid_wkt_in_a_csv_is_rejected_with_its_reason(
        client: TestClient, session: Session, wkt: str, words: str) -> None:
    make_region(session, code=COMMUNITY)
    csv = (f'code,name,community_code,wkt\nG1,一格,{COMMUNITY},"{SQUARE}"\n'
           f'G2,二格,{COMMUNITY},"{wkt}"\n')
    answer = client.post("/api/v1/import/grids", headers=admin(session),
                         files={"file": ("grids.csv", csv.encode())})
    assert answer.status_code == 422, answer.text
    assert words.lower() in answer.text.lower()


@pytest.mark.parametrize("coordinate", ["NaN", "Infinity", "1e400"])
def test_non_finite_coordinates_in_a_geojson_upload_are_rejected(
        client: TestClient, session: Session, coordinate: str) -> None:
    make_region(session, code=COMMUNITY)
    ring = f"[[119.2, 34.6], [{coordinate}, 34.6], [119.201, 34.601], [119.2, 34.6]]"
    body = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
            f'{{"code": "G1", "name": "一格", "community_code": "{COMMUNITY}"}}, '
            f'"geometry": {{"type": "Polygon", "coordinates": [{ring}]}}}}]}}')
    answer = client.post("/api/v1/import/grids", headers=admin(session), content=body.encode())
    assert 400 <= answer.status_code < 500, answer.text


@pytest.mark.parametrize("spelling", [
    "urn:ogc:def:crs:EPSG::4490", "http://www.opengis.net/def/crs/EPSG/0/4490", "CRS84",
    "epsg:4490", "urn:ogc:def:crs:OGC:1.3:CRS84", "4326",
])
def test_ogc_spellings_of_a_crs_are_accepted(demo_client: TestClient, demo_session: Session,
                                             spelling: str) -> None:
    headers = admin(demo_session)
    answer = demo_client.get("/api/v1/locate", params={"lon": 119.215, "lat": 34.6,
                                                       "crs": spelling})
    assert answer.status_code == 200, answer.text
    answer = demo_client.post("/api/v1/events", headers=headers, json={
        "category": "noise", "channel": "12345", "description": "夜间施工",
        "location": {"lon": 119.215, "lat": 34.6, "crs": spelling}})
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("spelling", ["urn:ogc:def:crs:EPSG::99999", "EPSG:4490x", "wgs",
                                      "x" * 300])
def test_unknown_crs_is_422(demo_client: TestClient, demo_session: Session,
                            spelling: str) -> None:
    answer = demo_client.post("/api/v1/events", headers=admin(demo_session), json={
        "category": "noise", "channel": "12345",
        "location": {"lon": 119.215, "lat": 34.6, "crs": spelling}})
    assert answer.status_code == 422, answer.text
    answer = demo_client.get("/api/v1/locate", params={"lon": 119.215, "lat": 34.6,
                                                       "crs": spelling})
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("body", [
    '{"category": "noise", "channel": "12345", "location": {"lon": NaN, "lat": 34.6}}',
    '{"category": "noise", "channel": "12345", "location": {"lon": Infinity, "lat": 34.6}}',
    '{"category": "noise", "channel": "12345", "location": {"lon": 1e400, "lat": 34.6}}',
    '{"category": "noise", "channel": "12345", "location": {"lon": 119.2, "lat": 34.6},'
    ' "reported_at": "9999-12-31T23:59:59Z"}',
])
def test_non_finite_coordinates_and_absurd_times_in_events_are_422(
        client: TestClient, session: Session, body: str) -> None:
    headers = {**admin(session), "Content-Type": "application/json"}
    answer = client.post("/api/v1/events", headers=headers, content=body)
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("url", [
    "/api/v1/locate?lon=nan&lat=34.6", "/api/v1/locate?lon=inf&lat=34.6",
    "/api/v1/locate?lon=1e400&lat=34.6", "/api/v1/grids?bbox=nan,34,120,35",
    "/api/v1/grids?bbox=119,34,inf,35", "/api/v1/grids?bbox=120,35,119,34",
    "/api/v1/buildings?bbox=1e400,1,2,3", "/ogc/collections/grids/items?bbox=nan,1,2,3",
    "/api/v1/grids?theme=" + "x" * 20000,
])
def test_non_finite_points_and_boxes_are_4xx(client: TestClient, session: Session,
                                             url: str) -> None:
    answer = client.get(url, headers=admin(session))
    assert 400 <= answer.status_code < 500, answer.text
