"""GET /api/v1/qa and the QA map page over real HTTP."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("community", ["320706013001", "320706013004"])
def test_qa_stays_inside_the_keys_region(client: TestClient, session: Session,
                                         community: str) -> None:
    """Two communities with an overlap each: a community key sees its own overlap only, with
    or without a scope; another community's scope is 403, on the API and the map page."""
    make_region(session, code="320706013000", name="街道", level="subdistrict",
                geom=box(119.10, 34.50, 119.40, 34.70))
    grids = {}
    for code, west in (("320706013001", 119.20), ("320706013004", 119.30)):
        make_region(session, code=code, parent_code="320706013000",
                    geom=box(west, 34.60, west + 0.02, 34.62))
        grids[code] = [make_grid(session, community_code=code, geom=g).code for g in (
            box(west, 34.60, west + 0.0105, 34.62), box(west + 0.01, 34.60, west + 0.02, 34.62))]
    key = keys.create_key(session, role="planner", region_code=community)
    auth = {"Authorization": f"Bearer {key}"}
    for params in ({}, {"scope": community}):
        body = client.get("/api/v1/qa", params=params, headers=auth).json()
        found = {f["properties"]["community_code"] for f in body["issues"]["features"]}
        assert found == {community}
    everywhere = {"Authorization": f"Bearer {keys.create_key(session, role='planner')}"}
    body = client.get("/api/v1/qa", headers=everywhere).json()
    assert {f["properties"]["community_code"] for f in body["issues"]["features"]} == {
        "320706013001", "320706013004"}
    other = next(c for c in ("320706013001", "320706013004") if c != community)
    for path in ("/api/v1/qa", "/map/qa"):
        assert client.get(path, params={"scope": other}, headers=auth).status_code == 403
    page = client.get("/map/qa", headers=auth)
    assert page.status_code == 200 and f"拓扑检查 {community}" in page.text
    assert all(g in page.text for g in grids[community])
    assert not any(g in page.text for g in grids[other])
