"""/map over HTTP with ``map_embed_max`` lowered: buildings as tiles, read with the login cookie."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from layers import assets
from tests import dbs
from tests.api.test_tiles import decode, tile_of, url
from tests.layers.scene import make_scene
from tests.layers.test_base_map import seen_over_http, visible

TILE_URL = "/tiles/buildings/{z}/{x}/{y}.pbf"
ADDRESS = "海州区朝阳路1号"  # one of the scene's two buildings
BUILDING_TILE = tile_of(119.206, 34.613, 16)

pytestmark = pytest.mark.skipif(not assets.has_vectorgrid(),
                                reason="Leaflet.VectorGrid missing: make install runs npm")


@pytest.fixture
def client_with(engine: Engine, session: Session,
                base_settings: Settings) -> Iterator[Callable[[int], TestClient]]:
    """Makes a TestClient on an app whose ``map_embed_max`` is the given number."""
    clients: list[TestClient] = []

    def make(embed_max: int, **updates: object) -> TestClient:
        settings = dbs.settings_for(engine, base_settings).model_copy(
            update={"map_embed_max": embed_max, **updates})
        app = create_app(settings)
        app.dependency_overrides[get_session] = lambda: session
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _log_in(client: TestClient, session: Session) -> None:
    key = keys.create_key(session, role="planner", region_code=None)
    answer = client.post("/map/login", data={"key": key, "next": "/map"},
                         follow_redirects=False)
    assert answer.status_code == 303


def test_the_setting_switches_embedded_geojson_to_tiles(client_with, session: Session):
    make_scene(session)  # two buildings
    embedded, tiled = client_with(2), client_with(1)
    for client in (embedded, tiled):
        _log_in(client, session)
    small = seen_over_http(embedded, "/map")
    assert visible(small, ADDRESS) and TILE_URL not in small
    big = seen_over_http(tiled, "/map")
    assert TILE_URL in big and not visible(big, ADDRESS)
    assert tiled.get("/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js"
                     ).status_code == 200


def test_the_page_cookie_reads_the_building_tiles(client_with, session: Session):
    make_scene(session)
    client = client_with(1)
    before = client.get(url("buildings", *BUILDING_TILE))  # no key yet: the bare footprint
    assert [f["properties"] for f in decode(before.content)["buildings"]["features"]] == [{}]
    _log_in(client, session)
    answer = client.get(url("buildings", *BUILDING_TILE))
    assert answer.status_code == 200
    features = decode(answer.content)["buildings"]["features"]
    assert [f["properties"]["address"] for f in features] == [ADDRESS]


def test_anonymous_callers_get_the_footprint_tiles(client_with, session: Session):
    make_scene(session)
    client = client_with(1)
    page = client.get("/map").text
    assert TILE_URL in page and not visible(page, ADDRESS)
    assert not visible(page, "登录后显示")  # the former login note
    answer = client.get(url("buildings", *BUILDING_TILE))
    assert answer.status_code == 200
    features = decode(answer.content)["buildings"]["features"]
    assert len(features) == 1 and features[0]["properties"] == {}
