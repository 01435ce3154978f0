"""/map of a district with more grids than ``map_grid_embed_max`` (the scene's two grids over a
cap of 1): the layers answer leaves the grid GeoJSON out, the page draws the grids from
/tiles/grids with Leaflet.VectorGrid, and grid labels come only for a view of few grids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from gis.core.settings import Settings
from layers import assets, grid_tiles
from tests import dbs
from tests.layers.scene import BIG, SMALL, make_scene

pytestmark = pytest.mark.skipif(not assets.has_vectorgrid(),
                                reason="Leaflet.VectorGrid missing: make install runs npm")
SOUTH = "119.204,34.602,119.208,34.606"  # the box of the southern grid only


@pytest.fixture
def capped(engine: Engine, session: Session, base_settings: Settings) -> Iterator[TestClient]:
    """HTTP client on an app whose /map embeds at most one grid."""
    settings = dbs.settings_for(engine, base_settings).model_copy(
        update={"map_grid_embed_max": 1})
    app = create_app(settings)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        yield client


def test_many_grids_come_as_tiles(capped: TestClient, session: Session):
    make_scene(session)
    page = capped.get("/map")
    assert page.status_code == 200
    assert "L.vectorGrid.protobuf" in page.text and grid_tiles.TILE_URL in page.text
    answer = capped.get("/map/layers/overview?theme=unified")
    assert answer.status_code == 200
    body = answer.json()
    assert body["layers"]["grids"]["features"] == []
    assert body["layers"]["grid_labels"]["features"] == []  # two grids in view: too many
    assert body["left_out"] == ["grid_labels"]
    assert body["layers"]["facilities"]["features"]  # the other layers as before


def test_a_view_of_few_grids_gets_their_labels(capped: TestClient, session: Session):
    make_scene(session)
    body = capped.get(f"/map/layers/overview?theme=unified&bbox={SOUTH}").json()
    assert body["layers"]["grids"]["features"] == []
    labels = [f["properties"]["label"] for f in body["layers"]["grid_labels"]["features"]]
    assert len(labels) == 1 and SMALL in labels[0] and BIG not in labels[0]
    assert body["left_out"] == []


def test_a_district_under_the_cap_embeds_its_grids(client: TestClient, session: Session):
    make_scene(session)
    assert grid_tiles.TILE_URL not in client.get("/map").text
    body = client.get("/map/layers/overview?theme=unified").json()
    assert {f["properties"]["code"] for f in body["layers"]["grids"]["features"]} == {BIG, SMALL}
    assert body["left_out"] == []



def test_under_a_gcj02_basemap_grids_come_embedded_and_shifted(
        engine: Engine, session: Session, base_settings: Settings) -> None:
    """/tiles are CGCS2000 and would sit ~500 m off a GCJ-02 image (高德): with that basemap
    /map draws no tiles; the grids come embedded, shifted to GCJ-02, for a view of at most
    ``map_grid_embed_max`` of them (a wider view leaves them out until one zooms in)."""
    settings = dbs.settings_for(engine, base_settings).model_copy(
        update={"map_grid_embed_max": 1, "basemap": "amap", "basemap_url": "amap"})
    app = create_app(settings)
    app.dependency_overrides[get_session] = lambda: session
    make_scene(session)
    with TestClient(app) as client:
        page = client.get("/map")
        assert page.status_code == 200
        assert grid_tiles.TILE_URL not in page.text and "/tiles/buildings" not in page.text
        wide = client.get("/map/layers/overview?theme=unified").json()
        assert wide["layers"]["grids"]["features"] == []
        assert wide["left_out"] == ["grids", "grid_labels"]
        south = client.get(f"/map/layers/overview?theme=unified&bbox={SOUTH}").json()
    [grid] = south["layers"]["grids"]["features"]
    ring = grid["geometry"]["coordinates"][0]
    if grid["geometry"]["type"] == "MultiPolygon":
        ring = ring[0]
    lons = [point[0] for point in ring]
    assert south["left_out"] == []
    # GCJ-02 lies ~500 m east of CGCS2000 here: the grid's west edge (119.200) moved with it
    assert 119.2035 < min(lons) < 119.2065, min(lons)
