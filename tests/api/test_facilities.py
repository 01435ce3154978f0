"""GET /api/v1/facilities: public, points and polygons, type filter."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_facility, square


def test_facilities_filter_by_type(client: TestClient, session: Session) -> None:
    make_facility(session, code="F1", type="clinic", phone="0518-1234567")
    make_facility(session, code="F2", type="party_center", geom=square(119.21, 34.61, 0.001))
    body = client.get("/api/v1/facilities").json()
    assert {f["geometry"]["type"] for f in body["features"]} == {"Point", "Polygon"}
    clinics = client.get("/api/v1/facilities", params={"type": "clinic"}).json()
    assert [f["id"] for f in clinics["features"]] == ["F1"]
    assert clinics["features"][0]["properties"]["phone"] == "0518-1234567"
    assert client.get("/api/v1/facilities/F2").json()["properties"]["type"] == "party_center"
    assert client.get("/api/v1/facilities/F9").status_code == 404
    bad = client.get("/api/v1/facilities", params={"type": "casino"})
    assert bad.status_code == 422 and "casino" in bad.json()["detail"]
