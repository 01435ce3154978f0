"""The /map page over HTTP, and the static assets it needs, served by gridmap itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.access import keys
from tests.layers.scene import BIG, COMMUNITY, make_scene
from tests.layers.test_base_map import assert_offline, asset_urls, seen_over_http, visible


def test_map_page_is_served(client: TestClient, session: Session):
    make_scene(session)
    response = client.get("/map")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert_offline(response.text)
    assert not visible(response.text, BIG)  # the grids come after load
    assert visible(seen_over_http(client, "/map"), BIG)


def test_every_asset_the_page_loads_is_served(client: TestClient, session: Session):
    make_scene(session)
    page = client.get("/map").text
    for url in asset_urls(page):
        response = client.get(url)
        assert response.status_code == 200, url
        kind = "javascript" if url.endswith(".js") else "css"
        assert kind in response.headers["content-type"], (url, response.headers)


@pytest.mark.parametrize(("url", "content_type"), [
    ("/static/vendor/leaflet/leaflet.js", "text/javascript"),
    ("/static/vendor/leaflet/leaflet.css", "text/css"),
    ("/static/vendor/leaflet/images/layers.png", "image/png"),
    ("/static/vendor/leaflet/images/marker-icon.png", "image/png"),
    ("/static/vendor/jquery/jquery.min.js", "text/javascript"),
    ("/static/vendor/leaflet.markercluster/MarkerCluster.css", "text/css"),
    ("/static/gridmap/gridmap.css", "text/css"),
])
def test_static_assets_have_the_right_content_type(client: TestClient, url: str,
                                                   content_type: str):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    assert len(response.content) > 100


def test_leaflet_css_images_resolve(client: TestClient):
    css = client.get("/static/vendor/leaflet/leaflet.css").text
    for image in set(re.findall(r"url\((images/[^)]+)\)", css)):
        assert client.get(f"/static/vendor/leaflet/{image}").status_code == 200, image


@pytest.mark.parametrize("url", ["/static/vendor/leaflet/../../__init__.py",
                                 "/static/vendor/leaflet/%2e%2e/%2e%2e/__init__.py",
                                 "/static/vendor/leaflet/nope.js", "/static/gridmap/../page.py"])
def test_static_files_stay_in_their_folders(client: TestClient, url: str):
    assert client.get(url).status_code == 404


def test_unknown_theme_is_a_clear_422(client: TestClient):
    response = client.get("/map?theme=nope")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_map_of_one_community(client: TestClient, session: Session):
    make_scene(session)
    assert visible(seen_over_http(client, f"/map?community={COMMUNITY}"), BIG)
    assert not visible(seen_over_http(client, "/map?community=320706013999"), BIG)


def test_building_details_need_a_key(client: TestClient, session: Session):
    make_scene(session)
    assert not visible(seen_over_http(client, "/map"), "海州区朝阳路1号")
    key = keys.create_key(session, role="planner", region_code=COMMUNITY)
    page = seen_over_http(client, "/map", headers={"Authorization": f"Bearer {key}"})
    assert visible(page, "海州区朝阳路1号")


def test_configured_basemap_appears(client: TestClient, session: Session):
    client.app.state.settings = client.app.state.settings.model_copy(
        update={"basemap_url": "http://10.0.0.1/tiles/{z}/{x}/{y}.png"})
    assert "10.0.0.1/tiles" in client.get("/map").text
