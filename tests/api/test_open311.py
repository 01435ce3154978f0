"""Open311 GeoReport v2: keys (api_key field or query parameter, or Bearer) to report and to
read, region scope, JSON and XML, errors in its format."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import func, select
from uvicorn.protocols.utils import get_path_with_query_string

from gis.access import keys
from gis.models import Event
from tests.builders import SUBDISTRICT, make_building, make_event, make_grid, make_region, square

NORTH = "320706013004"
SOUTH = "320706013005"
V2 = "/open311/v2"


@pytest.fixture
def area(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code=NORTH, name="北社区", parent_code=SUBDISTRICT)
    make_region(session, code=SOUTH, name="南社区", parent_code=SUBDISTRICT)
    grid = make_grid(session, code="G-O1", name="北一网格", community_code=NORTH,
                     geom=square(119.20, 34.60, 0.01))
    make_grid(session, code="G-O2", name="南一网格", community_code=SOUTH,
              geom=square(119.22, 34.60, 0.01))
    make_building(session, code="B-311", address="解放东路8号2栋", grid=grid,
                  geom=square(119.206, 34.606, 0.0004))
    return grid


def make_key(session, role: str = "dispatcher", region: str | None = None) -> str:
    return keys.create_key(session, role=role, region_code=region)


@pytest.fixture
def reader(session) -> dict:
    """Headers of a viewer key for the whole district: reading requests needs a key."""
    return {"Authorization": f"Bearer {make_key(session, 'viewer')}"}


def _noise(key: str | None = None, **extra) -> dict:
    fields = {"service_code": "noise", "lat": "34.605", "long": "119.205",
              "description": "夜间施工噪音", **extra}
    return fields if key is None else {**fields, "api_key": key}


def _events(session) -> int:
    return session.scalar(select(func.count()).select_from(Event))


def _xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.text
    assert response.content.startswith(b"<?xml") and b"UTF-8" in response.content[:60]
    return ET.fromstring(response.content)


def test_services_are_our_categories(client):
    services = client.get(f"{V2}/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"sanitation", "noise", "parking"} <= codes
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)
    root = _xml(client.get(f"{V2}/services.xml"))
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == codes
    assert root.find("service/metadata").text == "false"


def test_discovery_names_the_v2_endpoint(client):
    assert client.get("/openapi.json").status_code == 200
    endpoint = client.get("/open311/discovery.json").json()["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2") and "text/xml" in endpoint["formats"]
    root = _xml(client.get("/open311/discovery.xml"))
    assert root.findtext("endpoints/endpoint/specification").endswith("GeoReport_v2")
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"]


def test_post_without_a_key_is_refused_and_writes_nothing(client, session, area):
    before = _events(session)
    response = client.post(f"{V2}/requests.json", data=_noise())
    assert response.status_code == 401
    assert response.json()[0]["code"] == 401 and "api_key" in response.json()[0]["description"]
    wrong = client.post(f"{V2}/requests.json", data=_noise("gm_deadbeef_nope"))
    assert wrong.status_code == 401 and "gm_deadbeef_nope" not in wrong.text
    assert client.post(f"{V2}/requests.json", data=_noise("gm_dead\x00_x")).status_code == 401
    bad_bearer = client.post(f"{V2}/requests.xml", data=_noise(),
                             headers={"Authorization": "Bearer gm_deadbeef_nope"})
    assert bad_bearer.status_code == 401 and _xml(bad_bearer).findtext("error/code") == "401"
    viewer = client.post(f"{V2}/requests.json", data=_noise(make_key(session, "viewer")))
    assert viewer.status_code == 403 and "dispatcher" in viewer.json()[0]["description"]
    assert _events(session) == before


def test_form_post_with_api_key_round_trips(client, session, area):
    key = make_key(session)
    response = client.post(f"{V2}/requests.json", data=_noise(
        key, first_name="三", last_name="张", phone="13812345678"))
    assert response.status_code == 201, response.text
    receipt = response.json()[0]
    code = receipt["service_request_id"]
    assert "G-O1" in receipt["service_notice"]
    one = client.get(f"{V2}/requests/{code}.json", params={"api_key": key}).json()
    assert len(one) == 1
    request = one[0]
    assert request["service_code"] == "noise" and request["status"] == "open"
    assert request["description"] == "夜间施工噪音"
    assert request["lat"] == pytest.approx(34.605) and request["long"] == pytest.approx(119.205)
    assert request["agency_responsible"] == "北一网格" and "G-O1" in request["service_notice"]
    assert "phone" not in request and "13812345678" not in str(request) and "张" not in str(
        request)
    listed = client.get(f"{V2}/requests.json", params={
        "service_code": "noise,parking", "status": "open", "api_key": key}).json()
    assert [r["service_request_id"] for r in listed] == [code]
    assert client.get(f"{V2}/requests.json",
                      params={"status": "closed", "api_key": key}).json() == []


def test_dates_are_w3c_with_an_offset_and_due_is_expected(client, session, area, reader):
    code = client.post(f"{V2}/requests.json", data=_noise(make_key(session))).json()[0][
        "service_request_id"]
    request = client.get(f"{V2}/requests/{code}.json", headers=reader).json()[0]
    requested = datetime.fromisoformat(request["requested_datetime"])
    expected = datetime.fromisoformat(request["expected_datetime"])
    assert request["requested_datetime"].endswith("+08:00") and "." not in request[
        "requested_datetime"]
    assert requested.utcoffset() is not None and expected > requested
    assert datetime.fromisoformat(request["updated_datetime"]) >= requested


def test_json_post_with_bearer_and_address(client, session, area):
    auth = {"Authorization": f"Bearer {make_key(session, 'grid_worker')}"}
    response = client.post(f"{V2}/requests.json", headers=auth, json={
        "service_code": "sanitation", "address_string": "海州区解放东路8号2幢"})
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    request = client.get(f"{V2}/requests/{code}.json", headers=auth).json()[0]
    assert request["address"] == "海州区解放东路8号2幢" and request["lat"] is not None
    by_id = client.post(f"{V2}/requests.json", headers=auth,
                        json={"service_code": "parking", "address_id": "B-311"})
    assert by_id.status_code == 201


def test_region_key_reports_only_inside_its_region(client, session, area):
    key = make_key(session, region=NORTH)
    before = _events(session)
    outside = client.post(f"{V2}/requests.json", data=_noise(key, long="119.225"))
    assert outside.status_code == 403, outside.text
    assert "jurisdiction" in outside.json()[0]["description"]
    assert _events(session) == before
    inside = client.post(f"{V2}/requests.json", data=_noise(key))
    assert inside.status_code == 201, inside.text


@pytest.mark.parametrize("path", ["requests/EV-N.json", "requests/EV-N.xml"])
def test_one_request_is_public_and_redacted(client, session, area, path):
    """A reporter or a client app follows a case by its id without a key (GeoReport clients
    send none); a key that is sent is still checked."""
    make_event(session, code="EV-N", community_code=NORTH, grid=area,
               description="电话13812345678")
    response = client.get(f"{V2}/{path}")
    assert response.status_code == 200 and "EV-N" in response.text
    assert "13812345678" not in response.text and "138****5678" in response.text
    unknown = client.get(f"{V2}/{path}", params={"api_key": "gm_deadbeef_nope"})
    assert unknown.status_code == 401 and "gm_deadbeef_nope" not in unknown.text


def test_paging_of_requests(client, session, area):
    for i in range(5):
        make_event(session, code=f"EV-P{i}", community_code=NORTH, grid=area)
    key = make_key(session)
    first = client.get(f"{V2}/requests.json", params={"api_key": key, "page_size": 2})
    assert len(first.json()) == 2 and int(first.headers["X-Total-Count"]) >= 5
    seen = [r["service_request_id"] for r in first.json()]
    link = first.headers["Link"]
    while link:
        url = link[1:link.index(">")]
        page = client.get(url)
        seen += [r["service_request_id"] for r in page.json()]
        link = page.headers.get("Link", "")
    assert len(seen) == len(set(seen)) == int(first.headers["X-Total-Count"])
    assert {f"EV-P{i}" for i in range(5)} <= set(seen)
    last = client.get(f"{V2}/requests.json", params={"api_key": key, "page": 999})
    assert last.json() == [] and "Link" not in last.headers


@pytest.mark.parametrize("path", ["requests.json", "requests.xml"])
def test_reading_requests_without_a_key_is_401(client, session, area, path):
    make_event(session, code="EV-N", community_code=NORTH, grid=area,
               description="电话13812345678")
    response = client.get(f"{V2}/{path}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    if path.endswith(".xml"):
        error = _xml(response)
        code, description = error.findtext("error/code"), error.findtext("error/description")
    else:
        code, description = response.json()[0]["code"], response.json()[0]["description"]
    assert str(code) == "401" and "api_key" in description and "Bearer" in description
    assert "EV-N" not in response.text and "5678" not in response.text
    unknown = client.get(f"{V2}/{path}", params={"api_key": "gm_deadbeef_nope"})
    assert unknown.status_code == 401 and "gm_deadbeef_nope" not in unknown.text
    assert unknown.headers["www-authenticate"] == "Bearer"


def test_services_and_discovery_stay_public(client):
    for path in (f"{V2}/services.json", f"{V2}/services.xml", "/open311/discovery.json"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["viewer", "grid_worker", "dispatcher", "planner", "admin"])
def test_every_events_reading_role_reads_by_api_key_or_bearer(client, session, area, role):
    make_event(session, code="EV-N", community_code=NORTH, grid=area)
    key = make_key(session, role)
    by_param = client.get(f"{V2}/requests.xml", params={"api_key": key})
    assert [r.findtext("service_request_id") for r in _xml(by_param).findall("request")] == [
        "EV-N"]
    by_bearer = client.get(f"{V2}/requests/EV-N.json",
                           headers={"Authorization": f"Bearer {key}"})
    assert by_bearer.status_code == 200 and by_bearer.json()[0]["service_request_id"] == "EV-N"


def test_region_key_reads_only_inside_its_region(client, session, area):
    make_event(session, code="EV-N", community_code=NORTH, grid=area)
    make_event(session, code="EV-S", community_code=SOUTH, geom=Point(119.225, 34.605))
    make_event(session, code="EV-U", status="needs_location", address="某路1号")
    north = make_key(session, "viewer", region=NORTH)
    listed = client.get(f"{V2}/requests.json", params={"api_key": north}).json()
    assert [r["service_request_id"] for r in listed] == ["EV-N"]
    asked = client.get(f"{V2}/requests.xml", params={
        "api_key": north, "service_request_id": "EV-N,EV-S,EV-U"})
    assert [r.findtext("service_request_id") for r in _xml(asked).findall("request")] == [
        "EV-N"]
    elsewhere = client.get(f"{V2}/requests/EV-S.json", params={"api_key": north})
    nowhere = client.get(f"{V2}/requests/EV-X.json", params={"api_key": north})
    assert elsewhere.status_code == nowhere.status_code == 404
    assert elsewhere.json()[0]["description"].replace("EV-S", "EV-X") == nowhere.json()[0][
        "description"]
    subdistrict = make_key(session, "viewer", region=SUBDISTRICT)
    both = client.get(f"{V2}/requests.json", params={"api_key": subdistrict}).json()
    assert sorted(r["service_request_id"] for r in both) == ["EV-N", "EV-S"]
    district = client.get(f"{V2}/requests.json", params={"api_key": make_key(session, "viewer")})
    assert sorted(r["service_request_id"] for r in district.json()) == ["EV-N", "EV-S", "EV-U"]


def test_api_key_query_parameter_is_masked_before_the_access_log(client, session, area):
    """uvicorn's access log prints the ASGI scope's path and query string: the key must not
    be in it, while the request is still answered with it."""
    make_event(session, code="EV-N", community_code=NORTH, grid=area)
    key = make_key(session, "viewer")
    seen: dict = {}

    async def app(scope, receive, send):
        seen["scope"] = scope
        await client.app(scope, receive, send)

    response = TestClient(app).get(f"{V2}/requests.json",
                                   params={"status": "open", "api_key": key})
    assert [r["service_request_id"] for r in response.json()] == ["EV-N"]
    logged = get_path_with_query_string(seen["scope"])
    assert key not in logged and key.split("_", 2)[2] not in logged  # the secret
    assert "status=open" in logged and "api_key=" in logged


def test_xml_post_round_trips_chinese_in_json_and_xml(client, session, area, reader):
    text = "楼道堆放杂物 <占道> & \"消防\" 通道"
    response = client.post(f"{V2}/requests.xml", data=_noise(make_key(session),
                                                              description=text))
    assert response.status_code == 201, response.text
    receipt = _xml(response)
    assert receipt.tag == "service_requests"
    code = receipt.findtext("request/service_request_id")
    assert code and receipt.find("request/account_id") is not None
    assert client.get(f"{V2}/requests/{code}.json", headers=reader).json()[0][
        "description"] == text
    one = _xml(client.get(f"{V2}/requests/{code}.xml", headers=reader))
    assert [r.findtext("service_request_id") for r in one.findall("request")] == [code]
    assert one.findtext("request/description") == text
    assert one.findtext("request/status") == "open"
    assert float(one.findtext("request/long")) == pytest.approx(119.205)
    listed = _xml(client.get(f"{V2}/requests.xml", params={"service_request_id": code},
                             headers=reader))
    assert listed.findtext("request/agency_responsible") == "北一网格"


def test_closed_events_are_closed_and_every_other_state_open(client, session, area, reader):
    for state in ("closed", "returned", "needs_location", "verified"):
        make_event(session, code=f"EV-{state}", category="noise", status=state, grid=area,
                   community_code=NORTH)
    listed = client.get(f"{V2}/requests.json", headers=reader, params={
        "service_request_id": "EV-closed,EV-returned,EV-needs_location,EV-verified"}).json()
    assert {r["service_request_id"]: r["status"] for r in listed} == {
        "EV-closed": "closed", "EV-returned": "open", "EV-needs_location": "open",
        "EV-verified": "open"}
    closed = client.get(f"{V2}/requests.json", headers=reader,
                        params={"status": "closed", "service_code": "noise"}).json()
    assert [r["service_request_id"] for r in closed] == ["EV-closed"]
    both = client.get(f"{V2}/requests.json", headers=reader,
                      params={"status": "open,closed"}).json()
    assert len(both) == 4


def test_phone_numbers_in_a_description_are_masked(client, session, area, reader):
    code = client.post(f"{V2}/requests.json", data=_noise(
        make_key(session), description="噪音扰民，请回电13812345678")).json()[0][
        "service_request_id"]
    request = client.get(f"{V2}/requests/{code}.json", headers=reader).json()[0]
    assert request["description"] == "噪音扰民，请回电138****5678"


@pytest.mark.parametrize(("data", "status", "words"), [
    ({"service_code": "ufo", "lat": "34.605", "long": "119.205"}, 400, "valid categories"),
    ({"service_code": "noise"}, 400, "location is required"),
    ({"service_code": "noise", "lat": "119.205", "long": "34.605"}, 400, "swapped"),
    ({"service_code": "noise", "lat": "north", "long": "119.205"}, 400, "lat must be"),
    ({"service_code": "noise", "lat": "34.9", "long": "119.205"}, 400, "outside"),
    ({"service_code": "noise", "address_string": "解放东路\x008号"}, 400, "NUL"),
    ({"service_code": "noise", "address_string": "解放东路8号", "description": "吵" * 2001}, 400,
     "at most 2000"),
])
def test_errors_use_the_open311_error_array(client, session, area, data, status, words):
    response = client.post(f"{V2}/requests.json", data={**data,
                                                        "api_key": make_key(session)})
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status
    assert words in body[0]["description"]


def test_errors_on_xml_paths_are_xml(client, session, area, reader):
    missing = client.get(f"{V2}/requests/EV-nope.xml", headers=reader)
    assert missing.status_code == 404
    error = _xml(missing)
    assert error.tag == "errors" and error.findtext("error/code") == "404"
    assert "EV-nope" in error.findtext("error/description")
    no_key = client.post(f"{V2}/requests.xml", data=_noise())
    assert no_key.status_code == 401 and _xml(no_key).findtext("error/code") == "401"
    bad = client.get(f"{V2}/requests.xml", params={"status": "pending"}, headers=reader)
    assert bad.status_code == 400 and "status" in _xml(bad).findtext("error/description")
    nul = client.get(f"{V2}/requests.xml", params={"service_request_id": "EV\x00"},
                     headers=reader)
    assert nul.status_code == 400 and "NUL" in _xml(nul).findtext("error/description")


def test_unknown_request_is_404_in_open311_format(client, area, reader):
    response = client.get(f"{V2}/requests/EV-nope.json", headers=reader)
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    bad_date = client.get(f"{V2}/requests.json", params={"start_date": "yesterday"},
                          headers=reader)
    assert bad_date.status_code == 400 and "start_date" in bad_date.json()[0]["description"]
    assert client.get(f"{V2}/services.csv").status_code == 400


def test_json_fields_of_the_wrong_type_are_400_not_500(client, session, area):
    response = client.post(f"{V2}/requests.json", json={**_noise(make_key(session)),
                                                         "phone": ["13812345678"]})
    assert response.status_code == 400 and "phone" in response.json()[0]["description"]
    assert "13812345678" not in response.text
