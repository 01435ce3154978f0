"""HTTP: /api/v1/service-circles (public), /api/v1/coverage(+/sites) (keys), /map/coverage."""

from __future__ import annotations

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access import keys
from tests.gis.network.test_coverage import river  # noqa: F401  (fixture)
from tests.gis.walknet import point
from tests.layers.test_base_map import visible


def auth(session: Session, role: str = "viewer") -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def test_service_circles_are_public_geojson(client: TestClient, session, river) -> None:  # noqa: F811
    _, fac = river
    res = client.get("/api/v1/service-circles", params={"type": "party_center"})
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/geo+json")
    (feature,) = res.json()["features"]
    assert feature["id"] == fac.id and feature["properties"]["distance_m"] == 500
    poly = shapely.geometry.shape(feature["geometry"])
    assert poly.contains(point(300, 0)) and not poly.contains(point(0, 100))


def test_one_facility_too_far_from_the_network_is_a_422(client, session, river) -> None:  # noqa: F811
    from tests.builders import make_facility

    far = make_facility(session, type="clinic", geom=point(0, 600))
    res = client.get("/api/v1/service-circles", params={"type": "clinic", "facility": far.id})
    assert res.status_code == 422 and res.json()["code"] == "snap_too_far"
    listing = client.get("/api/v1/service-circles", params={"type": "clinic"}).json()
    assert listing["features"] == [] and listing["skipped"][0]["id"] == far.id


@pytest.mark.parametrize("params", [{"type": "casino"}, {"minutes": 0}, {"minutes": 5e-324},
                                    {"speed": 1000}])
def test_bad_parameters_are_422(client, session, river, params) -> None:  # noqa: F811
    res = client.get("/api/v1/service-circles", params=params)
    assert res.status_code == 422 and "detail" in res.json()


def test_coverage_needs_a_key_and_counts_households(client, session, river) -> None:  # noqa: F811
    assert client.get("/api/v1/coverage").status_code == 401
    res = client.get("/api/v1/coverage", params={"level": "grid"}, headers=auth(session))
    assert res.status_code == 200
    body = res.json()
    assert body["summary"]["covered_households"] == 15 and body["summary"]["households"] == 38
    assert {u["code"] for u in body["units"]} == {"G-S", "G-N"}


def test_sites_answer_with_households_gained(client, session, river) -> None:  # noqa: F811
    res = client.get("/api/v1/coverage/sites", params={"k": 2}, headers=auth(session))
    assert res.status_code == 200
    assert [s["households_gained"] for s in res.json()["sites"]] == [20]


def test_coverage_map_page_is_offline_and_shows_the_rate(client, session, river) -> None:  # noqa: F811
    res = client.get("/map/coverage", params={"type": "party_center", "minutes": 10})
    assert res.status_code == 200
    page = res.text
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    # the layers and the legend's figures come after load, from the URL the page names
    assert visible(page, "/map/layers/coverage?type=party_center&minutes=10&speed=50&k=3")
    layers = client.get("/map/layers/coverage",
                        params={"type": "party_center", "minutes": 10}).json()
    assert "户覆盖率 39.5%" in layers["panels"]["gm-coverage-legend"]  # 15 of 38 households
    assert visible(page, "建议新增设施点")
    # the facility and the proposed site, each a badge
    assert len(layers["layers"]["facilities"]["features"]) >= 1
    assert len(layers["layers"]["sites"]["features"]) >= 1


def test_coverage_is_limited_to_the_callers_jurisdiction(client, session, river) -> None:  # noqa: F811
    key = keys.create_key(session, role="viewer", region_code="320706099002")
    north = {"Authorization": f"Bearer {key}"}
    body = client.get("/api/v1/coverage", headers=north).json()
    assert body["summary"]["households"] == 23  # C (20) and E (3) are on the north bank
    assert {u["code"] for u in body["units"]} == {"320706099002"}
    admin = client.get("/api/v1/coverage", headers=auth(session, "admin")).json()
    assert admin["summary"]["households"] == 38


def test_demo_coverage_map_and_circles(demo_client: TestClient) -> None:
    circles = demo_client.get("/api/v1/service-circles", params={"type": "clinic",
                                                                 "minutes": 5}).json()
    assert len(circles["features"]) >= 3
    assert all(f["properties"]["distance_m"] == 250 for f in circles["features"])
    page = demo_client.get("/map/coverage", params={"type": "clinic", "minutes": 15})
    assert page.status_code == 200 and visible(page.text, "户覆盖率 计算中")
    layers = demo_client.get("/map/layers/coverage", params={"type": "clinic", "minutes": 15})
    assert layers.status_code == 200 and "户覆盖率" in layers.json()["panels"][
        "gm-coverage-legend"]


def test_sites_from_given_candidates(client, session, river) -> None:  # noqa: F811
    from tests.gis.walknet import at

    given = ";".join(f"{lon},{lat}" for lon, lat in (at(580, 100), at(50, 100)))
    res = client.get("/api/v1/coverage/sites", params={"k": 1, "candidates": given},
                     headers=auth(session, "planner"))
    assert res.status_code == 200
    assert res.json()["sites"][0]["lon"] == pytest.approx(at(50, 100)[0])
    bad = client.get("/api/v1/coverage/sites", params={"candidates": "119.2"},
                     headers=auth(session, "planner"))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
