"""GET /api/v1/buildings: keyed callers only, each inside its jurisdiction."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_building, make_grid, square


def test_buildings_need_a_key(client: TestClient, session: Session) -> None:
    grid = make_grid(session, code="G1")
    make_building(session, code="B1", grid=grid, households=5,
                  geom=square(119.203, 34.603, 0.0005))
    make_building(session, code="B2", geom=square(119.5, 34.9, 0.0005))
    anonymous = client.get("/api/v1/buildings")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/buildings/B1").status_code == 401
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    body = client.get("/api/v1/buildings", headers=auth).json()
    assert [f["id"] for f in body["features"]] == ["B1", "B2"]
    in_grid = client.get("/api/v1/buildings", params={"grid": "G1"}, headers=auth).json()
    assert [f["properties"]["grid_code"] for f in in_grid["features"]] == ["G1"]
    boxed = client.get("/api/v1/buildings", params={"bbox": "119.4,34.8,119.6,35"},
                       headers=auth).json()
    assert [f["id"] for f in boxed["features"]] == ["B2"]
    assert client.get("/api/v1/buildings/B1", headers=auth).json()["properties"][
        "households"] == 5
    assert client.get("/api/v1/buildings/B9", headers=auth).status_code == 404


COMMUNITIES = ("320706013001", "320706013004")


def _count(session: Session, community: str | None) -> int:
    return session.scalar(text("SELECT count(*) FROM building WHERE :c IS NULL "
                               "OR community_code = :c"), {"c": community})


def _first(session: Session, community: str, same: bool) -> str:
    return session.scalar(text(
        "SELECT code FROM building WHERE (community_code = :c) = :same ORDER BY code LIMIT 1"),
        {"c": community, "same": same})


@pytest.mark.parametrize("community", COMMUNITIES)
def test_a_community_key_reads_only_its_buildings(demo_client: TestClient,
                                                  demo_session: Session,
                                                  community: str) -> None:
    """List (plain, bbox, community and grid filters) and one building: nothing of another
    community comes back, and the paging total is the community's own building count."""
    auth = {"Authorization": "Bearer " + keys.create_key(demo_session, role="viewer",
                                                         region_code=community)}
    everything = {"limit": 5000, "bbox": "118,33,121,36"}
    for params in ({"limit": 5000}, everything):
        body = demo_client.get("/api/v1/buildings", params=params, headers=auth).json()
        assert body["numberMatched"] == len(body["features"]) == _count(demo_session, community)
        assert {f["properties"]["community_code"] for f in body["features"]} == {community}
    small = demo_client.get("/api/v1/buildings", params={"limit": 10}, headers=auth).json()
    assert small["numberMatched"] == _count(demo_session, community)
    other = next(c for c in COMMUNITIES if c != community)
    theirs = demo_client.get("/api/v1/buildings", params={"community": other}, headers=auth)
    assert theirs.json()["numberMatched"] == 0 and theirs.json()["features"] == []
    their_grid = demo_session.scalar(text(
        "SELECT code FROM grid WHERE community_code = :c AND theme = 'unified' "
        "AND valid_to IS NULL ORDER BY code LIMIT 1"), {"c": other})
    by_grid = demo_client.get("/api/v1/buildings", params={"grid": their_grid}, headers=auth)
    assert by_grid.json()["numberMatched"] == 0
    outside = _first(demo_session, community, same=False)
    assert demo_client.get(f"/api/v1/buildings/{outside}", headers=auth).status_code == 404
    inside = _first(demo_session, community, same=True)
    assert demo_client.get(f"/api/v1/buildings/{inside}", headers=auth).status_code == 200


def test_an_unscoped_key_reads_every_building(demo_client: TestClient,
                                              demo_session: Session) -> None:
    auth = {"Authorization": "Bearer " + keys.create_key(demo_session, role="viewer")}
    body = demo_client.get("/api/v1/buildings", params={"limit": 1}, headers=auth).json()
    assert body["numberMatched"] == _count(demo_session, None) > _count(demo_session,
                                                                        COMMUNITIES[0])
    outside = _first(demo_session, COMMUNITIES[0], same=False)
    assert demo_client.get(f"/api/v1/buildings/{outside}", headers=auth).status_code == 200
