"""Tile services for MapLibre and QGIS: TileJSON, a style, ETag/304, events and service-circle
layers, CORS."""

from __future__ import annotations

import mapbox_vector_tile
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from tests.api.test_tiles import SCENE_TILE, tile_of, url
from tests.builders import make_event, make_region
from tests.layers.scene import COMMUNITY, make_scene


def test_tilejson_of_each_layer(client: TestClient, session: Session) -> None:
    make_scene(session)
    doc = client.get("/tiles/grids.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://testserver/tiles/grids/{z}/{x}/{y}.pbf"]
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "grids" and layer["fields"]["households"] == "Number"
    minx, miny, maxx, maxy = doc["bounds"]
    assert minx < 119.21 < maxx and miny < 34.61 < maxy
    buildings = client.get("/tiles/buildings.json").json()
    assert buildings["minzoom"] == 12
    assert client.get("/tiles/events.json").status_code == 401
    assert client.get("/tiles/nothing.json").status_code == 404


def test_style_lists_what_the_caller_may_draw(client: TestClient, session: Session) -> None:
    make_scene(session)
    style = client.get("/tiles/style.json").json()
    assert style["version"] == 8 and "events" not in style["sources"]
    assert style["sources"]["grids"]["url"].endswith("/tiles/grids.json")
    assert {layer["source"] for layer in style["layers"] if "source" in layer} == {
        "grids", "facilities", "circles", "buildings"}
    auth = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    assert "events" in client.get("/tiles/style.json", headers=auth).json()["sources"]


def test_etag_and_304(client: TestClient, session: Session) -> None:
    make_scene(session)
    first = client.get(url("grids", *SCENE_TILE))
    tag = first.headers["ETag"]
    again = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    session.execute(text("UPDATE grid SET name = name || '改'"))
    changed = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def _auth(session: Session, region: str) -> dict[str, str]:
    key = keys.create_key(session, role="viewer", region_code=region)
    return {"Authorization": f"Bearer {key}"}


def test_events_tiles_are_keyed_regional_and_impersonal(client: TestClient,
                                                        session: Session) -> None:
    make_scene(session)
    make_event(session, code="E1", community_code=COMMUNITY, geom=Point(119.205, 34.605),
               description="张三 13812345678")
    tile = url("events", *tile_of(119.205, 34.605, 14))
    assert client.get(tile).status_code == 401
    mine = _auth(session, COMMUNITY)
    features = mapbox_vector_tile.decode(client.get(tile, headers=mine).content)["events"][
        "features"]
    assert [f["properties"]["code"] for f in features] == ["E1"]
    assert not {"description", "reporter_phone", "address"} & set(features[0]["properties"])
    make_region(session, code="320706013004")
    other = _auth(session, "320706013004")
    assert client.get(tile, headers=other).status_code == 204


def test_cors_only_for_the_configured_origins(base_settings: Settings) -> None:
    origin = "http://gis.intra"
    app = create_app(base_settings.model_copy(update={"cors_origins": [origin]}))
    with TestClient(app) as cors_client:
        answer = cors_client.get("/ogc/conformance", headers={"Origin": origin})
        assert answer.headers["access-control-allow-origin"] == origin
        other = cors_client.get("/ogc/conformance", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(base_settings)) as plain:
        answer = plain.get("/ogc/conformance", headers={"Origin": origin})
        assert "access-control-allow-origin" not in answer.headers


def _circle(session: Session, facility_id: int, ring: str, *, minutes: float = 10,
            age: str = "0 hours") -> None:
    session.execute(text(
        "INSERT INTO service_area (facility_id, minutes, speed_m_per_min, geom, computed_at) "
        "VALUES (:f, :m, 50, ST_Multi(ST_GeomFromText(:ring, 4490)), "
        "now() - CAST(:age AS interval))"),
        {"f": facility_id, "m": minutes, "ring": ring, "age": age})


def test_circles_tiles_draw_the_stored_ten_minute_circles(client: TestClient,
                                                          session: Session) -> None:
    scene = make_scene(session)
    clinic, party = scene.facilities
    _circle(session, clinic.id, "POLYGON((119.209 34.612,119.215 34.612,119.215 34.618,"
                                "119.209 34.618,119.209 34.612))")
    _circle(session, clinic.id, "POLYGON((119.2 34.6,119.21 34.6,119.21 34.61,119.2 34.6))",
            minutes=15)  # another budget: not this layer
    _circle(session, party.id, "POLYGON((119.21 34.601,119.216 34.601,119.216 34.607,"
                               "119.21 34.607,119.21 34.601))", age="1 hour")  # stale
    answer = client.get(url("circles", *SCENE_TILE))
    assert answer.status_code == 200
    features = mapbox_vector_tile.decode(answer.content)["circles"]["features"]
    assert [(f["properties"]["facility_code"], f["properties"]["minutes"],
             f["geometry"]["type"]) for f in features] == [("F-CL", 10, "Polygon")]
    assert features[0]["properties"]["name"] == "花果山卫生服务站"
    assert "circles" in client.get("/tiles/style.json").json()["sources"]
    assert client.get("/tiles/circles.json").json()["vector_layers"][0]["id"] == "circles"
