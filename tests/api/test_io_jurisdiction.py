"""Imports and exports of region-limited keys on the demo district: the grid hijack by import
is refused with its reason, exports hold the key's region only."""

from __future__ import annotations

import geopandas as gpd
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys

C001, C004 = "320706013001", "320706013004"


def _key(session: Session, role: str, region: str | None) -> dict:
    return {"Authorization": "Bearer " + keys.create_key(session, role=role, region_code=region)}


def _shape(session: Session, sql: str, code: str) -> shapely.Geometry:
    return shapely.from_wkb(bytes(session.scalar(text(sql), {"c": code})))


def _grid_file(shape: shapely.Geometry) -> bytes:
    frame = gpd.GeoDataFrame({"code": [f"{C001}901"], "name": ["新网格"],
                              "community_code": [C001]}, geometry=[shape], crs=4490)
    return frame.to_json(ensure_ascii=False).encode()


def test_a_grid_labelled_001_over_004s_ground_is_refused(demo_client: TestClient,
                                                         demo_session: Session) -> None:
    planner = _key(demo_session, "planner", C001)
    ground = _shape(demo_session, "SELECT ST_AsBinary(ST_Union(geom)) FROM grid WHERE "
                    "community_code = :c AND theme = 'unified' AND valid_to IS NULL", C004)
    count = "SELECT count(*) FROM grid WHERE code LIKE '%901'"
    answer = demo_client.post("/api/v1/import/grids", headers=planner,
                              files={"file": ("hijack.geojson", _grid_file(ground))})
    assert answer.status_code == 422 and answer.json()["code"] == "import_rejected"
    reason = answer.json()["report"]["rows"][0]["reason"]
    assert f"ha outside {C001} (超出辖区)" in reason, reason
    assert demo_session.scalar(text(count)) == 0
    subdistrict = _key(demo_session, "planner", "320706013000")  # 004 is its, but not 001's
    answer = demo_client.post("/api/v1/import/grids", headers=subdistrict,
                              files={"file": ("hijack.geojson", _grid_file(ground))})
    assert answer.status_code == 422 and demo_session.scalar(text(count)) == 0
    assert f"outside {C001}" in answer.json()["report"]["rows"][0]["reason"]
    inner = _shape(demo_session, "SELECT ST_AsBinary((ST_MaximumInscribedCircle(geom)).center)"
                   " FROM region WHERE code = :c", C001).buffer(0.0005)
    answer = demo_client.post("/api/v1/import/grids", headers=planner,
                              files={"file": ("inside.geojson", _grid_file(inner))})
    assert answer.status_code == 200, answer.text
    assert demo_session.scalar(text(count)) == 1


def test_exports_hold_the_keys_region(demo_client: TestClient, demo_session: Session) -> None:
    every = _key(demo_session, "planner", None)
    for kind in ("residents", "households", "events", "buildings", "grids", "facilities",
                 "grid_workers", "regions", "roads"):
        whole = demo_client.get(f"/api/v1/export/{kind}", headers=every).json()["features"]
        mine = demo_client.get(f"/api/v1/export/{kind}",
                               headers=_key(demo_session, "planner", C004)).json()["features"]
        assert 0 < len(mine) < len(whole), kind
    events = demo_client.get("/api/v1/export/events",
                             headers=_key(demo_session, "dispatcher", C004)).json()["features"]
    codes = {f["properties"]["code"] for f in events}
    placed = demo_session.execute(text(
        "SELECT code FROM event "
        "WHERE coalesce(community_code, subdistrict_code, region_code) LIKE :p"),
        {"p": C004 + "%"}).scalars().all()
    assert codes == set(placed)
