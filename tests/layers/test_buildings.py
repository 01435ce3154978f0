"""Buildings on /map: embedded GeoJSON up to a threshold, gridmap's vector tiles above it."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from layers import assets, buildings, catalogue, overview
from tests.layers.scene import make_scene
from tests.layers.test_base_map import assert_offline, overview_seen, visible

TILE_URL = "/tiles/buildings/{z}/{x}/{y}.pbf"
ADMIN = Caller(role="admin")
ADDRESSES = ("海州区朝阳路1号", "海州区朝阳路9号")  # the scene's two buildings

pytestmark = pytest.mark.skipif(not assets.has_vectorgrid(),
                                reason="Leaflet.VectorGrid missing: make install runs npm")


def vector_grid_options(html: str) -> dict:
    """The options object the page hands ``L.vectorGrid.protobuf``."""
    match = re.search(r"L\.vectorGrid\.protobuf\((\"[^\"]+\"),\s*Object\.assign\((\{.*?\}),\s*"
                      r"\{rendererFactory", html, re.S)
    assert match, "no vector grid on the page"
    assert json.loads(match.group(1)) == TILE_URL
    return json.loads(match.group(2))


def test_at_the_threshold_buildings_are_embedded(session: Session):
    make_scene(session)
    html = overview_seen(session, ADMIN, building_embed_max=2)
    assert all(visible(html, address) for address in ADDRESSES)
    assert "vectorGrid" not in html and TILE_URL not in html
    assert "Leaflet.VectorGrid" not in html


def test_above_the_threshold_buildings_come_as_tiles(session: Session):
    make_scene(session)
    html = overview_seen(session, ADMIN, building_embed_max=1)
    assert_offline(overview.render_overview(session, ADMIN, building_embed_max=1))
    assert '<script src="/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js">' in html
    assert not any(visible(html, address) for address in ADDRESSES)
    assert "gm-building" in html  # as the tile paths' class, not as embedded features
    options = vector_grid_options(html)
    layer = catalogue.get_layer("buildings")
    assert options["minZoom"] == layer.min_zoom
    assert options["vectorTileLayerStyles"]["buildings"]["fillColor"] == layer.style["fillColor"]
    assert options["interactive"] is True
    # the same popup labels as the embedded layer, and the legend and layer control keep it
    assert all(visible(html, attr.label) for attr in layer.attributes)
    assert visible(html, layer.label) and '"\\u5efa\\u7b51" : vector_grid' in html


def test_anonymous_callers_get_footprint_tiles_with_the_embedded_hidden_popup(
        session: Session):
    make_scene(session)
    html = overview_seen(session, Caller(), building_embed_max=1)
    options = vector_grid_options(html)  # the tiles, not a login note
    style = options["vectorTileLayerStyles"]["buildings"]
    assert {k: style[k] for k in catalogue.get_layer("buildings").style} == dict(
        catalogue.get_layer("buildings").style)  # the outline style of the embedded layer
    assert not any(visible(html, address) for address in ADDRESSES)
    assert visible(html, buildings.HIDDEN)  # the popup says details need a key


def test_key_holders_tile_popup_is_the_attribute_table():
    assert buildings.building_tile_layer().hidden is None
    assert buildings.building_tile_layer(details=False).hidden == buildings.HIDDEN


def test_tile_layer_popup_fields_follow_the_catalogue():
    layer = buildings.building_tile_layer()
    attrs = catalogue.get_layer("buildings").attributes
    assert layer.fields == [(a.field, a.label, a.unit) for a in attrs]
    assert layer.title_field == "address" and layer.layer_name == catalogue.get_layer(
        "buildings").label


def test_building_details_follow_the_keys_region_for_every_role():
    frame = pd.DataFrame({"community_code": ["320706013001", "320706013002", None]})
    for role in ("admin", "viewer"):  # an admin key made with --region keeps to it too
        shown = buildings.covered(frame, Caller(role=role, region_code="320706013001"))
        assert shown.tolist() == [True, False, False]
        assert buildings.covered(frame, Caller(role=role)).tolist() == [True, True, True]
    assert buildings.covered(frame, Caller()).tolist() == [False, False, False]
