"""OGC API – Features under /ogc: landing, conformance, collections, items, paging."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_building, make_facility, make_grid, make_region, square

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


@pytest.fixture
def layers(session: Session) -> None:
    make_region(session, code="320706013001")
    for i in range(3):
        make_grid(session, code=f"G{i}", community_code="320706013001",
                  geom=square(119.20 + 0.01 * i, 34.60, 0.01))
    make_facility(session, code="F1")
    make_building(session, code="B1")


def _rels(links: list[dict]) -> dict:
    return {link["rel"]: link["href"] for link in links}


def test_landing_and_conformance(client: TestClient) -> None:
    landing = client.get("/ogc").json()
    rels = _rels(landing["links"])
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["data"].endswith("/ogc/collections")
    assert client.get(rels["service-desc"]).status_code == 200
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert CORE in conforms and any(c.endswith("/conf/geojson") for c in conforms)


def test_collections_depend_on_the_caller(client: TestClient, session: Session) -> None:
    public = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert public == ["grids", "regions", "facilities", "facility_areas"]
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    keyed = [c["id"] for c in client.get("/ogc/collections", headers=auth).json()["collections"]]
    assert "buildings" in keyed
    grid = client.get("/ogc/collections/grids").json()
    assert grid["itemType"] == "feature" and _rels(grid["links"])["items"].endswith("/items")
    assert client.get("/ogc/collections/buildings").status_code == 401
    assert client.get("/ogc/collections/buildings/items").status_code == 401
    assert client.get("/ogc/collections/buildings", headers=auth).status_code == 200
    assert client.get("/ogc/collections/nothing").status_code == 404


def test_items_paging_and_bbox(client: TestClient, layers: None) -> None:
    response = client.get("/ogc/collections/grids/items", params={"limit": 2})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert (body["numberMatched"], body["numberReturned"]) == (3, 2)
    assert "timeStamp" in body
    rest = client.get(_rels(body["links"])["next"]).json()
    assert [f["id"] for f in rest["features"]] == ["G2"]
    boxed = client.get("/ogc/collections/grids/items",
                       params={"bbox": "119.215,34.605,119.3,34.7"}).json()
    assert [f["id"] for f in boxed["features"]] == ["G1", "G2"]
    assert client.get("/ogc/collections/grids/items", params={"bbox": "1,2"}).status_code == 400
    facilities = client.get("/ogc/collections/facilities/items").json()
    assert [f["id"] for f in facilities["features"]] == ["F1"]


def test_single_item(client: TestClient, layers: None) -> None:
    feature = client.get("/ogc/collections/regions/items/320706013001").json()
    assert feature["type"] == "Feature" and feature["id"] == "320706013001"
    assert {"self", "collection"} <= set(_rels(feature["links"]))
    missing = client.get("/ogc/collections/grids/items/NOPE")
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]


@pytest.mark.parametrize("community", ["320706013001", "320706013004"])
def test_building_items_stay_inside_the_keys_region(demo_client: TestClient,
                                                    demo_session: Session,
                                                    community: str) -> None:
    """numberMatched is the community's building count; another community's building is 404.
    The public collections are not narrowed: every grid comes back."""
    key = keys.create_key(demo_session, role="viewer", region_code=community)
    auth = {"Authorization": f"Bearer {key}"}
    count = demo_session.scalar(text("SELECT count(*) FROM building WHERE community_code = :c"),
                                {"c": community})
    items = "/ogc/collections/buildings/items"
    body = demo_client.get(items, params={"limit": 5000}, headers=auth).json()
    assert body["numberMatched"] == body["numberReturned"] == count
    assert {f["properties"]["community_code"] for f in body["features"]} == {community}
    paged = demo_client.get(items, params={"limit": 7, "offset": 7}, headers=auth).json()
    assert paged["numberMatched"] == count and paged["numberReturned"] == 7
    mine, theirs = (demo_session.scalar(text(
        "SELECT code FROM building WHERE (community_code = :c) = :same ORDER BY code LIMIT 1"),
        {"c": community, "same": same}) for same in (True, False))
    assert demo_client.get(f"{items}/{mine}", headers=auth).status_code == 200
    assert demo_client.get(f"{items}/{theirs}", headers=auth).status_code == 404
    grids = demo_client.get("/ogc/collections/grids/items", params={"limit": 1000},
                            headers=auth).json()
    assert grids["numberMatched"] == demo_session.scalar(text(
        "SELECT count(*) FROM grid WHERE theme = 'unified' AND valid_to IS NULL"))
