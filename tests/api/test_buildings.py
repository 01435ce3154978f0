"""GET /api/v1/buildings: keyed callers only."""

from fastapi.testclient import TestClient
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
