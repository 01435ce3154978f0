"""OGC API – Features query parameters: bbox by intersection, datetime, property filters,
unknown parameters, limits, CRS (Part 2), queryables, extents, keys for GIS clients."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely.geometry import Point, Polygon
from sqlalchemy import text
from sqlalchemy.orm import Session

from api import logmask
from gis.access import keys
from tests.builders import make_event, make_facility, make_grid, make_region, square

ITEMS = "/ogc/collections/{}/items"
COMMUNITY, OTHER = "320706013001", "320706013002"
GK_ZONE_39 = "http://www.opengis.net/def/crs/EPSG/0/4527"  # zone-prefixed GK: not offered


@pytest.fixture
def scene(session: Session) -> None:
    """Two square grids; a triangle whose envelope reaches the test box but whose area does
    not; a grid retired in 2025; a point and a polygon facility; two events."""
    make_region(session, code=COMMUNITY)
    make_region(session, code=OTHER)
    make_grid(session, code="A", community_code=COMMUNITY, geom=square(119.20, 34.60, 0.01))
    make_grid(session, code="B", community_code=OTHER, geom=square(119.21, 34.60, 0.01))
    triangle = Polygon([(119.22, 34.60), (119.24, 34.60), (119.22, 34.62)])
    make_grid(session, code="T", community_code=OTHER, geom=triangle)
    old = make_grid(session, code="OLD", community_code=COMMUNITY,
                    geom=square(119.20, 34.62, 0.01))
    old.valid_from, old.valid_to = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 6, 1,
                                                                                tzinfo=UTC)
    make_facility(session, code="FP", geom=Point(119.205, 34.605))
    make_facility(session, code="FA", geom=square(119.212, 34.602, 0.002))
    make_event(session, code="E1", category="environment", community_code=COMMUNITY,
               geom=Point(119.205, 34.605))
    make_event(session, code="E2", category="security", community_code=COMMUNITY,
               geom=Point(119.206, 34.606))
    session.flush()


def _ids(client: TestClient, collection: str, **params: object) -> list[str]:
    answer = client.get(ITEMS.format(collection), params=params)
    assert answer.status_code == 200, answer.text
    return [f["id"] for f in answer.json()["features"]]


def test_bbox_selects_by_intersection_not_envelope(client: TestClient, scene: None) -> None:
    # the box touches the triangle's envelope (its north-east corner) but not the triangle
    assert _ids(client, "grids", bbox="119.235,34.615,119.25,34.63") == []
    assert _ids(client, "grids", bbox="119.205,34.605,119.215,34.606") == ["A", "B"]


def test_property_filters_narrow_and_count(client: TestClient, scene: None) -> None:
    answer = client.get(ITEMS.format("grids"), params={"community_code": OTHER})
    body = answer.json()
    assert [f["id"] for f in body["features"]] == ["B", "T"] and body["numberMatched"] == 2
    assert _ids(client, "grids", community_code=OTHER, code="T") == ["T"]
    assert _ids(client, "grids", community_code="nowhere") == []


def test_datetime_gives_the_grids_in_force_then(client: TestClient, scene: None) -> None:
    assert _ids(client, "grids") == ["A", "B", "T"]
    assert _ids(client, "grids", datetime="2025-01-01T00:00:00Z") == ["OLD"]
    assert _ids(client, "grids", datetime="2025-01-01/..") == ["A", "B", "OLD", "T"]
    assert _ids(client, "grids", datetime="../2024-06-01") == ["OLD"]


def test_datetime_open_ends_as_qgis_writes_them(client: TestClient, scene: None) -> None:
    """QGIS 3.22 writes an open interval end as 0000-01-01… or 9999-12-31… instead of '..'."""
    assert _ids(client, "grids", datetime="2025-01-01T00:00:00Z/9999-12-31T00:00:00Z") == [
        "A", "B", "OLD", "T"]
    assert _ids(client, "grids", datetime="0000-01-01T00:00:00Z/2024-06-01") == ["OLD"]
    assert client.get(ITEMS.format("grids"), params={"datetime": "9999-12-31"}).status_code == 400


@pytest.mark.parametrize("params", [
    {"datetime": "not-a-date"}, {"datetime": "2026-13-01"}, {"datetime": "../.."[:2]},
    {"datetime": "2026-02-01/2026-01-01"}, {"nonsense": "1"}, {"limit": "0"},
    {"limit": "ten"}, {"offset": "-1"}, {"bbox": "1,2"}, {"bbox": "a,b,c,d"},
    {"crs": "EPSG:4490"}, {"crs": GK_ZONE_39}, {"bbox-crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
])
def test_bad_parameters_are_400_with_a_message(client: TestClient, scene: None,
                                               params: dict) -> None:
    answer = client.get(ITEMS.format("grids"), params=params)
    assert answer.status_code == 400, (params, answer.text)
    assert answer.json()["detail"]


def test_datetime_on_a_collection_without_time_is_400(client: TestClient, scene: None) -> None:
    answer = client.get(ITEMS.format("regions"), params={"datetime": "2026-01-01"})
    assert answer.status_code == 400 and "no time" in answer.json()["detail"]


def test_limit_is_clamped_not_refused(client: TestClient, scene: None) -> None:
    answer = client.get(ITEMS.format("grids"), params={"limit": 10_000_000})
    assert answer.status_code == 200 and answer.json()["numberReturned"] == 3


def test_crs_part_2_axis_order_and_header(client: TestClient, scene: None) -> None:
    cgcs = "http://www.opengis.net/def/crs/EPSG/0/4490"
    answer = client.get(ITEMS.format("facilities"), params={"crs": cgcs, "code": "FP"})
    assert answer.headers["Content-Crs"] == f"<{cgcs}>"
    assert answer.json()["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [34.605, 119.205])  # EPSG:4490 is latitude first
    default = client.get(ITEMS.format("facilities"), params={"code": "FP"})
    assert default.headers["Content-Crs"].endswith("/OGC/1.3/CRS84>")
    zone = "http://www.opengis.net/def/crs/EPSG/0/4548"  # CGCS2000 3° GK CM 120E (Lianyungang)
    gk = client.get(ITEMS.format("facilities"), params={"crs": zone, "code": "FP"}).json()
    north, east = gk["features"][0]["geometry"]["coordinates"]
    expected = Transformer.from_crs("EPSG:4490", "EPSG:4548").transform(34.605, 119.205)
    assert (north, east) == pytest.approx(expected, abs=0.01)
    item = client.get(ITEMS.format("facilities") + "/FP", params={"crs": cgcs})
    assert item.json()["geometry"]["coordinates"] == pytest.approx([34.605, 119.205])


def test_bbox_crs_in_that_crs_axis_order(client: TestClient, scene: None) -> None:
    cgcs = "http://www.opengis.net/def/crs/EPSG/0/4490"
    assert _ids(client, "grids", bbox="34.605,119.205,34.606,119.215",
                **{"bbox-crs": cgcs}) == ["A", "B"]


def test_facilities_one_geometry_type_per_collection(client: TestClient, scene: None) -> None:
    points = client.get(ITEMS.format("facilities")).json()["features"]
    assert {f["geometry"]["type"] for f in points} == {"Point"}
    assert sorted(f["id"] for f in points) == ["FA", "FP"]
    areas = client.get(ITEMS.format("facility_areas")).json()["features"]
    assert [(f["id"], f["geometry"]["type"]) for f in areas] == [("FA", "Polygon")]
    assert client.get(ITEMS.format("facility_areas") + "/FP").status_code == 404


def test_queryables_and_extent(client: TestClient, scene: None) -> None:
    schema = client.get("/ogc/collections/grids/queryables").json()
    assert {"code", "community_code", "datetime", "geometry"} <= set(schema["properties"])
    grids = client.get("/ogc/collections/grids").json()
    (box,) = grids["extent"]["spatial"]["bbox"]
    assert box == pytest.approx([119.20, 34.60, 119.24, 34.63])
    assert grids["extent"]["temporal"]["interval"][0][0].startswith("2024-01-01")
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in grids["crs"]


def test_events_collection_is_keyed_open_masked_and_timed(client: TestClient, session: Session,
                                                          scene: None) -> None:
    assert client.get(ITEMS.format("events")).status_code == 401
    key = keys.create_key(session, role="viewer", region_code=COMMUNITY)
    auth = {"Authorization": f"Bearer {key}"}
    body = client.get(ITEMS.format("events"), params={"category": "security"},
                      headers=auth).json()
    assert [f["id"] for f in body["features"]] == ["E2"]
    session.execute(text("UPDATE event SET reported_at = '2026-03-01T00:00:00Z' "
                         "WHERE code = 'E1'"))
    timed = client.get(ITEMS.format("events"), params={"datetime": "2026-03-01"},
                       headers=auth).json()
    assert [f["id"] for f in timed["features"]] == ["E1"]
    other_key = keys.create_key(session, role="viewer", region_code=OTHER)
    other = {"Authorization": f"Bearer {other_key}"}
    assert client.get(ITEMS.format("events"), headers=other).json()["features"] == []


def test_gis_clients_may_send_the_key_in_the_url_or_basic(client: TestClient,
                                                          session: Session) -> None:
    key = keys.create_key(session, role="viewer")
    assert client.get("/ogc/collections/buildings").status_code == 401
    assert client.get("/ogc/collections/buildings", params={"key": key}).status_code == 200
    basic = base64.b64encode(f"qgis:{key}".encode()).decode()
    assert client.get("/ogc/collections/buildings",
                      headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get("/ogc/collections/buildings",
                      params={"key": "gm_00000000_nope"}).status_code == 401
    # only GIS reads: an API route ignores ?key= (keys in URLs end up in logs and histories)
    assert client.get("/api/v1/buildings", params={"key": key}).status_code == 401


def test_keys_in_urls_are_masked_in_the_access_log(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1", "GET", "/ogc/collections?key=gm_abc_secret&f=json",
                                "1.1", 200), None)
    assert logmask.MaskKeys().filter(record)
    assert "secret" not in record.getMessage() and "key=***&f=json" in record.getMessage()
    config = logmask.log_config()
    assert config["handlers"]["access"]["filters"] == ["mask_keys"]


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("cql2-text", f"community_code = '{OTHER}'", ["B", "T"]),
    ("cql2-text", f"community_code = '{OTHER}' AND code <> 'T'", ["B"]),
    ("cql2-text", "code IN ('A', 'T')", ["A", "T"]),
    ("cql2-text", "name LIKE '%'", ["A", "B", "T"]),
    ("cql2-text", "S_INTERSECTS(geometry, POLYGON((119.235 34.615, 119.25 34.615, "
                  "119.25 34.63, 119.235 34.63, 119.235 34.615)))", []),
    ("cql2-text", "S_INTERSECTS(geometry, POINT(119.205 34.605))", ["A"]),
    ("cql2-json", '{"op": "=", "args": [{"property": "code"}, "B"]}', ["B"]),
    ("cql2-json", '{"op": "and", "args": [{"op": ">=", "args": [{"property": "households"}, 0]},'
                  ' {"op": "=", "args": [{"property": "community_code"}, "' + COMMUNITY + '"]}]}',
     ["A"]),
])
def test_cql2_filters_agree_with_the_data(client: TestClient, scene: None, lang: str,
                                          text: str, expected: list[str]) -> None:
    assert _ids(client, "grids", filter=text, **{"filter-lang": lang}) == expected


@pytest.mark.parametrize("params", [
    {"filter": "code = "}, {"filter": "reporter_phone = '1'"},
    {"filter": "code = 'A'", "filter-lang": "sql"},
    {"filter": "{not json", "filter-lang": "cql2-json"},
    {"filter": "code = 'A'", "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
    {"filter": "code = 'A'; DROP TABLE grid"},
])
def test_bad_cql2_is_400(client: TestClient, scene: None, params: dict) -> None:
    answer = client.get(ITEMS.format("grids"), params=params)
    assert answer.status_code == 400, (params, answer.text)
    assert "filter" in answer.json()["detail"]


def test_cql2_on_masked_events_cannot_probe_personal_fields(client: TestClient, session: Session,
                                                            scene: None) -> None:
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    answer = client.get(ITEMS.format("events"), params={"filter": "reporter_phone LIKE '138%'"},
                        headers=auth)
    assert answer.status_code == 400


def test_cql2_literal_of_the_wrong_type_is_400_not_a_database_error(
        client: TestClient, scene: None) -> None:
    answer = client.get(ITEMS.format("grids"), params={"filter": "households = 'many'"})
    assert answer.status_code == 400 and "type" in answer.json()["detail"]


def test_html_views_for_people(client: TestClient, scene: None) -> None:
    landing = client.get("/ogc", params={"f": "html"})
    assert landing.headers["content-type"].startswith("text/html") and "/ogc/collections" in \
        landing.text
    listing = client.get("/ogc/collections", headers={"Accept": "text/html"}).text
    assert "facility_areas" in listing and "f=html" in listing
    items = client.get(ITEMS.format("grids"), params={"f": "html", "limit": 2})
    assert items.status_code == 200 and "leaflet" in items.text.lower()
    assert "共 3 个要素" in items.text and "next" in items.text
    assert "http://" not in items.text.replace("http://testserver", "")  # offline: no CDN
    json_items = client.get(ITEMS.format("grids"), headers={"Accept": "application/geo+json"})
    assert json_items.headers["content-type"].startswith("application/geo+json")
