"""GET /api/v1/qa and the QA map page over real HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from shapely import box
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_grid, make_region


def test_report_and_map(client: TestClient, session: Session) -> None:
    c = make_region(session, geom=box(119.20, 34.60, 119.22, 34.62)).code
    make_grid(session, community_code=c, geom=box(119.20, 34.60, 119.2105, 34.62))
    make_grid(session, community_code=c, geom=box(119.21, 34.60, 119.22, 34.62))
    headers = {"Authorization": f"Bearer {keys.create_key(session, role='planner')}"}
    res = client.get("/api/v1/qa", params={"scope": c}, headers=headers)
    assert res.status_code == 200, res.text
    body = res.json()
    by_check = {row["check"]: row for row in body["summary"]}
    assert by_check["overlap"]["problems"] == 1 and by_check["gap"]["problems"] == 0
    [feature] = body["issues"]["features"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    page = client.get("/map/qa", params={"scope": c}, headers=headers)
    assert page.status_code == 200 and "#d7191c" in page.text  # the overlap colour
    assert "unpkg.com" not in page.text and "cdn.jsdelivr" not in page.text
    assert client.get("/api/v1/qa").status_code == 401
    assert client.get("/api/v1/qa", params={"theme": "x"},
                      headers=headers).status_code == 422
