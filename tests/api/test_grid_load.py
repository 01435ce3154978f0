"""GET /api/v1/grids/load over real HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
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
