"""/map with buildings as vector tiles (``map_embed_max`` below the scene's two buildings), in a
real headless Chromium against a live uvicorn, with every outside request blocked.

The page is opened after logging in with a key: Leaflet.VectorGrid must load from /static,
fetch /tiles/buildings/...pbf from the same server with the login cookie, draw the footprints
as SVG paths in its own pane and open the building popup on click. Anonymous visitors get the
same footprints without attributes and a popup saying details need a key.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from layers import assets
from tests import dbs
from tests.e2e.live import MAP_OBJECT, PYTESTMARK, offline_page, popup_after_click, serve
from tests.e2e.test_map_page import wait_until_idle
from tests.layers.scene import make_scene

pytestmark = [*PYTESTMARK, pytest.mark.skipif(
    not assets.has_vectorgrid(), reason="Leaflet.VectorGrid missing: make install runs npm")]

BUILDING_PATHS = ".leaflet-gm-buildings-pane path.gm-building"


@pytest.fixture(scope="module")
def live(base_settings: Settings) -> Iterator[tuple[str, str]]:
    """(base URL, planner key) of a uvicorn whose /map draws buildings from tiles."""
    engine = dbs.migrated_database(base_settings, "e2e_tiles")
    with Session(engine) as session:
        make_scene(session)
        key = keys.create_key(session, role="planner")
        session.commit()
    settings = dbs.settings_for(engine, base_settings).model_copy(update={"map_embed_max": 1})
    try:
        with serve(create_app(settings)) as url:
            yield url, key
    finally:
        dbs.drop_database(base_settings, engine)


def open_map(page, url: str, key: str | None) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Open /map (logged in with ``key``, or anonymously), centre it at z16 on the scene and
    wait for building footprints; returns the (status, url) of every tile answered."""
    tiles: list[tuple[int, str]] = []
    page.on("response", lambda r: tiles.append((r.status, r.url)) if "/tiles/" in r.url else None)
    if key is None:
        page.goto(f"{url}/map", wait_until="load")
    else:
        page.goto(f"{url}/map/login?next=/map", wait_until="load")
        page.fill("#key", key)
        page.click("button[type=submit]")
    page.wait_for_selector("path.gm-grid", state="attached", timeout=15_000)
    wait_until_idle(page)
    page.evaluate(MAP_OBJECT + ".setView([34.6085, 119.206], 16, {animate: false})")
    # a footprint per building (or a piece of one per tile it crosses)
    page.wait_for_function(f"document.querySelectorAll({BUILDING_PATHS!r}).length >= 2",
                           timeout=15_000)
    wait_until_idle(page)
    return tiles


def test_buildings_come_as_local_vector_tiles(browser, live):  # type: ignore[no-untyped-def]
    url, key = live
    with offline_page(browser) as (page, offline):
        tiles = open_map(page, url, key)
        assert page.evaluate("typeof L.vectorGrid.protobuf") == "function"
        assert tiles and all(u.startswith(f"{url}/tiles/buildings/1") for _, u in tiles)
        assert 200 in {status for status, _ in tiles}
        assert all(status in (200, 204) for status, _ in tiles), tiles
        assert "建筑" in page.locator(".leaflet-control-layers").inner_text()
        assert "建筑" in page.locator(".gm-legend").inner_text()

        # the footprint lies above the grid polygon: its popup, not the grid's, opens
        text = popup_after_click(page, 34.613, 119.206)
        for expected in ("海州区朝阳路1号", "户数", "600 户", "人口", "1500 人", "所属网格",
                         "GM-N01"):
            assert expected in text, (expected, text)
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)


def test_anonymous_visitors_get_outline_tiles(browser, live):  # type: ignore[no-untyped-def]
    url, _ = live
    with offline_page(browser) as (page, offline):
        tiles = open_map(page, url, None)  # no login
        assert 200 in {status for status, _ in tiles}
        assert all(status in (200, 204) for status, _ in tiles), tiles
        assert "登录后显示" not in page.content()  # the former login note

        # the footprint's popup says details need a key and shows none of them
        text = popup_after_click(page, 34.613, 119.206)
        assert "详情需授权查看" in text, text
        for secret in ("海州区朝阳路1号", "600", "1500", "GM-N01"):
            assert secret not in text, (secret, text)
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)


def test_no_tiles_are_asked_for_below_the_buildings_zoom(browser, live):  # type: ignore[no-untyped-def]
    url, key = live
    with offline_page(browser) as (page, offline):
        tiles: list[str] = []
        page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
        page.goto(f"{url}/map/login?next=/map", wait_until="load")
        page.fill("#key", key)
        page.click("button[type=submit]")
        page.wait_for_selector("path.gm-grid", state="attached", timeout=15_000)
        page.evaluate(MAP_OBJECT + ".setView([34.6085, 119.206], 13, {animate: false})")
        wait_until_idle(page)
        tiles.clear()
        page.evaluate(MAP_OBJECT + ".setView([34.6085, 119.216], 14, {animate: false})")
        wait_until_idle(page)
        assert page.evaluate(MAP_OBJECT + ".getZoom()") == 14  # the layer does not pin the map
        assert tiles == [] and page.locator(BUILDING_PATHS).count() == 0
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)
