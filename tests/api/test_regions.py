"""GET /api/v1/regions: public admin units."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_region, square


def test_regions_by_level_and_parent(client: TestClient, session: Session) -> None:
    make_region(session, code="320706000000", level="district", geom=square(size=0.1))
    make_region(session, code="320706013000", level="subdistrict", parent_code="320706000000")
    make_region(session, code="320706013001", parent_code="320706013000",
                geom=square(119.20, 34.60, 0.01))
    body = client.get("/api/v1/regions", params={"level": "community"}).json()
    assert [f["id"] for f in body["features"]] == ["320706013001"]
    assert body["features"][0]["properties"]["area_km2"] > 1
    children = client.get("/api/v1/regions", params={"parent": "320706000000"}).json()
    assert [f["id"] for f in children["features"]] == ["320706013000"]
    assert client.get("/api/v1/regions/320706000000").json()["properties"]["level"] == \
        "district"
    assert client.get("/api/v1/regions/320706099999").status_code == 404
    assert client.get("/api/v1/regions", params={"level": "country"}).status_code == 422
