"""Open311 GeoReport v2: services, POST (form and JSON) round-trips, errors in its format."""

from __future__ import annotations

import pytest

from tests.builders import SUBDISTRICT, make_building, make_grid, make_region, square


@pytest.fixture
def area(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013004", name="北社区", parent_code=SUBDISTRICT)
    grid = make_grid(session, code="G-O1", name="北一网格", community_code="320706013004",
                     geom=square(119.20, 34.60, 0.01))
    make_building(session, code="B-311", address="解放东路8号2栋", grid=grid,
                  geom=square(119.206, 34.606, 0.0004))
    return grid


def test_services_are_our_categories(client):
    services = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"sanitation", "noise", "parking"} <= codes
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)


def test_form_post_round_trips(client, area):
    response = client.post("/open311/v2/requests.json", data={
        "service_code": "noise", "lat": "34.605", "long": "119.205",
        "description": "夜间施工噪音", "first_name": "三", "last_name": "张",
        "phone": "13812345678"})
    assert response.status_code == 201, response.text
    receipt = response.json()[0]
    code = receipt["service_request_id"]
    assert "G-O1" in receipt["service_notice"]
    one = client.get(f"/open311/v2/requests/{code}.json").json()
    assert len(one) == 1
    request = one[0]
    assert request["service_code"] == "noise" and request["status"] == "open"
    assert request["description"] == "夜间施工噪音"
    assert request["lat"] == pytest.approx(34.605) and request["long"] == pytest.approx(119.205)
    assert request["agency_responsible"] == "北一网格"
    assert "phone" not in request and "13812345678" not in str(request)
    listed = client.get("/open311/v2/requests.json",
                        params={"service_code": "noise", "status": "open"}).json()
    assert [r["service_request_id"] for r in listed] == [code]
    assert client.get("/open311/v2/requests.json", params={"status": "closed"}).json() == []


def test_json_post_with_address(client, area):
    response = client.post("/open311/v2/requests.json", json={
        "service_code": "sanitation", "address_string": "海州区解放东路8号2幢"})
    assert response.status_code == 201, response.text
    code = response.json()[0]["service_request_id"]
    request = client.get(f"/open311/v2/requests/{code}.json").json()[0]
    assert request["address"] == "海州区解放东路8号2幢" and request["lat"] is not None
    by_id = client.post("/open311/v2/requests.json", json={"service_code": "parking",
                                                           "address_id": "B-311"})
    assert by_id.status_code == 201


@pytest.mark.parametrize(("data", "status", "words"), [
    ({"service_code": "ufo", "lat": "34.605", "long": "119.205"}, 422, "valid categories"),
    ({"service_code": "noise"}, 422, "location is required"),
    ({"service_code": "noise", "lat": "119.205", "long": "34.605"}, 422, "swapped"),
    ({"service_code": "noise", "lat": "north", "long": "119.205"}, 422, "lat must be"),
    ({"service_code": "noise", "lat": "34.9", "long": "119.205"}, 422, "outside"),
])
def test_errors_use_the_open311_error_array(client, area, data, status, words):
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status
    assert words in body[0]["description"]


def test_unknown_request_is_404_in_open311_format(client, area):
    response = client.get("/open311/v2/requests/EV-nope.json")
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    bad_date = client.get("/open311/v2/requests.json", params={"start_date": "yesterday"})
    assert bad_date.status_code == 422 and "start_date" in bad_date.json()[0]["description"]
