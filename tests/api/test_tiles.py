"""Vector tiles over real PostGIS: decoded with mapbox_vector_tile, features and attributes."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access import keys
from gis.tiles import mvt
from tests.layers.scene import BIG, COMMUNITY, SMALL, make_scene

MVT = "application/vnd.mapbox-vector-tile"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """XYZ tile holding lon/lat (the slippy-map formula; written out so the test is independent
    of the code under test)."""
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body)


def url(layer: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf"


SCENE_TILE = tile_of(119.21, 34.61, 13)  # one z13 tile covers the whole scene


def test_grid_tile_holds_both_grids_with_households(client: TestClient, session: Session):
    make_scene(session)
    response = client.get(url("grids", *SCENE_TILE))
    assert response.status_code == 200
    assert response.headers["content-type"] == MVT
    features = decode(response.content)["grids"]["features"]
    props = {f["properties"]["code"]: f["properties"] for f in features}
    assert set(props) == {BIG, SMALL}
    assert props[BIG]["households"] == 600 and props[SMALL]["households"] == 200
    assert props[BIG]["name"] == "北苑<网格>"
    assert all(f["geometry"]["type"] == "Polygon" for f in features)


def test_grid_tile_geometry_lands_where_the_grid_is(client: TestClient, session: Session):
    make_scene(session)
    # z16 tile in the northern grid only: the southern one must not appear
    response = client.get(url("grids", *tile_of(119.205, 34.617, 16)))
    codes = [f["properties"]["code"] for f in decode(response.content)["grids"]["features"]]
    assert codes == [BIG]


def test_facility_tile_has_types(client: TestClient, session: Session):
    make_scene(session)
    response = client.get(url("facilities", *SCENE_TILE))
    assert response.status_code == 200
    features = decode(response.content)["facilities"]["features"]
    assert {f["properties"]["type"] for f in features} == {"clinic", "party_center"}
    clinic = next(f for f in features if f["properties"]["type"] == "clinic")
    assert clinic["geometry"]["type"] == "Point"
    assert clinic["properties"]["name"] == "花果山卫生服务站"


def test_empty_tile_is_204_with_the_tile_media_type(client: TestClient, session: Session):
    make_scene(session)
    response = client.get(url("grids", *tile_of(-70.0, -30.0, 13)))  # far from any grid
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["content-type"] == MVT


def test_anonymous_building_tiles_are_bare_footprints(client: TestClient, session: Session):
    # what the embedded /map shows anonymous visitors: outlines, nothing about who lives there
    make_scene(session)
    response = client.get(url("buildings", *SCENE_TILE))
    assert response.status_code == 200
    features = decode(response.content)["buildings"]["features"]
    assert len(features) == 2
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    assert [f["properties"] for f in features] == [{}, {}]
    assert b"B-N1" not in response.content and "朝阳路".encode() not in response.content


def test_anonymous_footprints_lie_where_the_buildings_are(client: TestClient, session: Session):
    make_scene(session)
    # z16 tile around the northern building (119.205-119.207, 34.612-34.614) only
    response = client.get(url("buildings", *tile_of(119.206, 34.613, 16)))
    assert len(decode(response.content)["buildings"]["features"]) == 1
    assert client.get(url("buildings", *tile_of(-70.0, -30.0, 16))).status_code == 204


def test_anonymous_building_tiles_start_at_zoom_12(client: TestClient, session: Session):
    make_scene(session)
    assert client.get(url("buildings", *tile_of(119.21, 34.61, 11))).status_code == 204
    assert client.get(url("buildings", *tile_of(119.21, 34.61, 12))).status_code == 200


def test_building_tiles_are_never_shared_between_callers(client: TestClient, session: Session):
    # the same URL answers differently by key or login cookie: no shared cache may keep it,
    # and a browser must not reuse the anonymous copy once logged in
    make_scene(session)
    key = keys.create_key(session, role="admin")
    for headers in ({}, {"Authorization": f"Bearer {key}"}):
        response = client.get(url("buildings", *SCENE_TILE), headers=headers)
        assert response.headers["cache-control"] == "private, max-age=60"
        vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
        assert {"authorization", "cookie"} <= vary
    public = client.get(url("grids", *SCENE_TILE))
    assert public.headers["cache-control"] == "public, max-age=60"
    # public tiles vary by content coding only (gzipped once, when built), never by caller
    assert {v.strip().lower() for v in public.headers["vary"].split(",")} == {"accept-encoding"}


def test_a_bad_key_on_building_tiles_is_still_401(client: TestClient, session: Session):
    make_scene(session)
    response = client.get(url("buildings", *SCENE_TILE),
                          headers={"Authorization": "Bearer not-a-key"})
    assert response.status_code == 401


def test_buildings_for_a_key_holder_carry_households(client: TestClient, session: Session):
    make_scene(session)
    key = keys.create_key(session, role="viewer", region_code=COMMUNITY)
    response = client.get(url("buildings", *SCENE_TILE),
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    features = decode(response.content)["buildings"]["features"]
    assert {f["properties"]["code"]: f["properties"]["households"] for f in features} == {
        "B-N1": 600, "B-S1": 200}
    north = next(f["properties"] for f in features if f["properties"]["code"] == "B-N1")
    assert north["address"] == "海州区朝阳路1号" and north["residents"] == 1500
    assert north["grid_code"] == BIG and north["community_code"] == COMMUNITY


def test_a_regional_key_sees_details_only_in_its_region_and_every_outline(
        client: TestClient, session: Session):
    make_scene(session)
    from shapely import box

    from tests.builders import make_building, make_region
    other = make_region(session, code="320706013009", name="别的社区")
    make_building(session, code="B-X1", households=30, community_code=other.code,
                  geom=box(119.210, 34.606, 119.211, 34.607))
    key = keys.create_key(session, role="viewer", region_code=COMMUNITY)
    keyed = client.get(url("buildings", *SCENE_TILE), headers={"Authorization": f"Bearer {key}"})
    features = decode(keyed.content)["buildings"]["features"]
    assert sorted(f["properties"].get("code", "") for f in features) == ["", "B-N1", "B-S1"]
    assert [f["properties"] for f in features if "code" not in f["properties"]] == [{}]
    anonymous = decode(client.get(url("buildings", *SCENE_TILE)).content)["buildings"]
    assert len(anonymous["features"]) == 3


@pytest.mark.parametrize("role", ["viewer", "admin"])  # --region confines admin keys too
def test_buildings_outside_the_key_jurisdiction_are_bare_outlines(client: TestClient,
                                                                  session: Session, role: str):
    make_scene(session)
    from tests.builders import make_region
    other = make_region(session, code="320706013009", name="别的社区")
    key = keys.create_key(session, role=role, region_code=other.code)
    response = client.get(url("buildings", *SCENE_TILE),
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    features = decode(response.content)["buildings"]["features"]
    assert len(features) == 2 and all(f["properties"] == {} for f in features)


def test_buildings_below_min_zoom_are_empty(client: TestClient, session: Session):
    make_scene(session)
    key = keys.create_key(session, role="admin")
    response = client.get(url("buildings", *tile_of(119.21, 34.61, 8)),
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 204


@pytest.mark.parametrize(("z", "x", "y"), [(23, 0, 0), (-1, 0, 0), (3, 8, 0), (3, 0, 8),
                                           (0, 0, 1), (2, -1, 0)])
def test_out_of_range_tiles_are_422(client: TestClient, z: int, x: int, y: int):
    response = client.get(url("grids", z, x, y))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_non_numeric_tile_is_422(client: TestClient):
    assert client.get("/tiles/grids/a/0/0.pbf").status_code == 422


def test_unknown_layer_is_404(client: TestClient):
    response = client.get(url("rivers", 0, 0, 0))
    assert response.status_code == 404
    assert "grids" in response.json()["detail"]


def test_unknown_theme_is_422(client: TestClient):
    assert client.get(url("grids", 0, 0, 0) + "?theme=nope").status_code == 422


def test_check_tile_accepts_the_pyramid_corners():
    mvt.check_tile(0, 0, 0)
    mvt.check_tile(mvt.MAX_ZOOM, 2 ** mvt.MAX_ZOOM - 1, 0)


def test_other_themes_count_buildings_inside(client: TestClient, session: Session):
    make_scene(session)
    from shapely import box

    from tests.builders import make_grid
    make_grid(session, code="PARTY-1", theme="party", geom=box(119.20, 34.60, 119.22, 34.62))
    response = client.get(url("grids", *SCENE_TILE) + "?theme=party")
    props = [f["properties"] for f in decode(response.content)["grids"]["features"]]
    assert [(p["code"], p["households"]) for p in props] == [("PARTY-1", 800)]
