"""GET /api/v1/grids/load over real HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_building, make_grid, make_region, square


def _auth(session: Session, role: str = "viewer") -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def test_out_of_range_grids_with_reason(client: TestClient, session: Session) -> None:
    c = make_region(session).code
    big = make_grid(session, community_code=c, geom=square(119.20, 34.60, 0.01))
    ok = make_grid(session, community_code=c, geom=square(119.21, 34.60, 0.01))
    make_building(session, grid=big, households=700, community_code=c)
    make_building(session, grid=ok, households=400, community_code=c,
                  geom=square(119.211, 34.601, 0.0005))
    res = client.get("/api/v1/grids/load", params={"scope": c, "only_out_of_range": True},
                     headers=_auth(session))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["count"] == 2 and body["out_of_range"] == 1
    [row] = body["grids"]
    assert row["code"] == big.code and row["status"] == "oversized"
    assert "700" in row["reason"]


def test_anonymous_refused_and_bad_range_is_422(client: TestClient, session: Session) -> None:
    assert client.get("/api/v1/grids/load").status_code == 401
    res = client.get("/api/v1/grids/load", params={"residential_min": 9, "residential_max": 1},
                     headers=_auth(session))
    assert res.status_code == 422 and res.json()["code"] == "invalid_input"


@pytest.mark.parametrize("community", ["320706013001", "320706013004"])
def test_grid_load_stays_inside_the_keys_region(demo_client: TestClient,
                                                demo_session: Session, community: str) -> None:
    """No scope: the key's own community (every unified grid of it, no other); its own
    community as scope: the same; another community or the subdistrict: 403."""
    key = keys.create_key(demo_session, role="viewer", region_code=community)
    auth = {"Authorization": f"Bearer {key}"}
    count = demo_session.scalar(text(
        "SELECT count(*) FROM grid WHERE community_code = :c AND theme = 'unified' "
        "AND valid_to IS NULL"), {"c": community})
    for params in ({}, {"scope": community}):
        body = demo_client.get("/api/v1/grids/load", params=params, headers=auth).json()
        assert body["count"] == len(body["grids"]) == count > 0
        assert {g["community_code"] for g in body["grids"]} == {community}
    other = next(c for c in ("320706013001", "320706013004") if c != community)
    for scope in (other, "320706013000"):
        res = demo_client.get("/api/v1/grids/load", params={"scope": scope}, headers=auth)
        assert res.status_code == 403, res.text
    everywhere = demo_client.get("/api/v1/grids/load", headers=_auth(demo_session)).json()
    assert everywhere["count"] > count
