"""GET /api/v1/grids: GeoJSON shape, paging links, public access, bad input."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_building, make_grid, make_region, make_worker, square


@pytest.fixture
def grids(session: Session) -> list:
    community = make_region(session, code="320706013001", name="朝阳社区")
    made = [make_grid(session, code=f"G{i}", community_code=community.code,
                      geom=square(119.20 + 0.01 * i, 34.60, 0.01)) for i in range(3)]
    make_building(session, grid=made[0], households=12, residents=30,
                  geom=square(119.203, 34.603, 0.0005))
    make_worker(session, name="专职乙", phone="13911112222", grids=[made[0]])
    return made


def test_list_is_geojson_with_load_and_paging(client: TestClient, grids: list) -> None:
    response = client.get("/api/v1/grids", params={"limit": 2})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert (body["numberMatched"], body["numberReturned"]) == (3, 2)
    first = body["features"][0]
    assert first["id"] == "G0" and first["geometry"]["type"] == "MultiPolygon"
    lon, lat = first["geometry"]["coordinates"][0][0][0]
    assert 119 < lon < 120 and 34 < lat < 35  # RFC 7946 order: lon, lat
    props = first["properties"]
    assert (props["households"], props["residents"], props["buildings"]) == (12, 30, 1)
    assert (props["worker_name"], props["worker_phone"]) == ("专职乙", "13911112222")
    assert props["community_name"] == "朝阳社区"
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert "offset=2" in rels["next"] and "prev" not in rels
    second = client.get(rels["next"]).json()
    assert [f["id"] for f in second["features"]] == ["G2"]
    assert "next" not in {link["rel"] for link in second["links"]}
    assert "prev" in {link["rel"] for link in second["links"]}


def test_filters(client: TestClient, grids: list) -> None:
    ids = [f["id"] for f in client.get("/api/v1/grids", params={
        "bbox": "119.215,34.605,119.3,34.7"}).json()["features"]]
    assert ids == ["G1", "G2"]
    assert client.get("/api/v1/grids", params={"community": "320706013999"}
                      ).json()["numberMatched"] == 0
    assert client.get("/api/v1/grids", params={"theme": "party"}).json()["features"] == []


def test_detail_and_not_found(client: TestClient, grids: list) -> None:
    feature = client.get("/api/v1/grids/G0").json()
    assert feature["type"] == "Feature" and feature["properties"]["households"] == 12
    missing = client.get("/api/v1/grids/NOPE")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found" and "NOPE" in missing.json()["detail"]


@pytest.mark.parametrize(("bbox", "words"), [
    ("1,2,3", "4"), ("a,b,c,d", "numbers"), ("119.3,34.6,119.2,34.7", "below"),
    ("10,10,11,11", "China"),
])
def test_bad_bbox_is_422_with_message(client: TestClient, bbox: str, words: str) -> None:
    response = client.get("/api/v1/grids", params={"bbox": bbox})
    assert response.status_code == 422
    assert words in response.json()["detail"]


def test_bad_paging_and_theme(client: TestClient) -> None:
    assert client.get("/api/v1/grids", params={"limit": 10**7}).status_code == 422
    assert client.get("/api/v1/grids", params={"limit": 0}).status_code == 422
    bad = client.get("/api/v1/grids", params={"theme": "x"})
    assert bad.status_code == 422 and "theme" in bad.json()["detail"]


def test_public_but_bad_key_is_401(client: TestClient, session: Session, grids: list) -> None:
    assert client.get("/api/v1/grids").status_code == 200
    key = keys.create_key(session, role="viewer")
    assert client.get("/api/v1/grids", headers={"Authorization": f"Bearer {key}"}
                      ).status_code == 200
    for bad in ("nonsense", key[:-3] + "xyz"):
        response = client.get("/api/v1/grids", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
