"""Basemaps in a real browser: default pages reach no other host; a configured preset asks
for exactly the tile URLs its provider documents (requests blocked and recorded here); on
高德 (GCJ-02) the page's coordinate helper turns map positions back into storage ones; a local
``pmtiles://`` archive (raster or vector) is drawn from gridmap alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.main import create_app
from gis.core import crs
from gis.core.settings import Settings
from gis.tiles import archive
from tests import dbs
from tests.basemap_archive import make_raster_archive
from tests.e2e.live import PYTESTMARK, Offline, offline_page, serve
from tests.layers.scene import EAST, NORTH, SOUTH, WEST, make_scene

pytestmark = PYTESTMARK

TILE = r"(?P<z>\d+)"
DOCUMENTED = {
    # lbs.tianditu.gov.cn/server/MapService.html: WMTS GetTile, Web Mercator (_w), tk=key
    "tianditu#key=k123": [re.compile(
        rf"https://t[0-7]\.tianditu\.gov\.cn/{layer}_w/wmts\?SERVICE=WMTS&REQUEST=GetTile"
        rf"&VERSION=1\.0\.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        r"&TILEMATRIX=\d+&TILEROW=\d+&TILECOL=\d+&tk=k123") for layer in ("vec", "cva")],
    "amap": [re.compile(r"https://webrd0[1-4]\.is\.autonavi\.com/appmaptile\?lang=zh_cn"
                        r"&size=1&scale=1&style=8&x=\d+&y=\d+&z=\d+")],
    # OSM's tile usage policy: tile.openstreetmap.org, no a/b/c subdomains
    "osm": [re.compile(r"https://tile\.openstreetmap\.org/\d+/\d+/\d+\.png")],
    "http://m{s}.tiles.example/{z}/{x}/{y}.png#subdomains=1234": [
        re.compile(r"http://m[1-4]\.tiles\.example/\d+/\d+/\d+\.png")],
}


@pytest.fixture(scope="module")
def scene_settings(base_settings: Settings) -> Iterator[Settings]:
    engine = dbs.migrated_database(base_settings, "e2e_basemaps")
    with Session(engine) as session:
        make_scene(session)
        session.commit()
    try:
        yield dbs.settings_for(engine, base_settings)
    finally:
        dbs.drop_database(base_settings, engine)


@contextmanager
def recording_page(browser) -> Iterator[tuple[object, Offline]]:  # type: ignore[no-untyped-def]
    """A page whose outside requests are blocked and recorded, without failing on them."""
    offline = Offline()
    context = browser.new_context(viewport={"width": 1024, "height": 700}, locale="zh-CN")
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("pageerror", lambda exc: offline.errors.append(str(exc)))
    try:
        yield page, offline
    finally:
        context.close()


def test_default_pages_reach_no_other_host(browser, scene_settings: Settings):  # type: ignore[no-untyped-def]
    with serve(create_app(scene_settings)) as url, offline_page(browser) as (page, offline):
        for path in ("/map", "/map/login?next=/map"):
            page.goto(f"{url}{path}", wait_until="load")
            page.wait_for_timeout(500)
            if path == "/map":
                assert page.evaluate("window.gmBasemap.crs") == "wgs84"
        assert offline.errors == []
    # offline_page fails the test on any blocked request


@pytest.mark.parametrize("spec", list(DOCUMENTED))
def test_preset_asks_for_its_documented_tiles(browser, scene_settings: Settings,  # type: ignore[no-untyped-def]
                                              spec: str):
    settings = scene_settings.model_copy(update={"basemap_url": spec})
    with serve(create_app(settings)) as url, recording_page(browser) as (page, offline):
        page.goto(f"{url}/map", wait_until="load")
        page.wait_for_selector("path.gm-grid", state="attached", timeout=15_000)
        page.wait_for_timeout(800)
        assert offline.errors == []
    assert offline.blocked, "no tile was requested"
    patterns = DOCUMENTED[spec]
    unknown = [u for u in offline.blocked if not any(p.fullmatch(u) for p in patterns)]
    assert unknown == []
    for pattern in patterns:  # tianditu: vector and annotation both
        assert any(pattern.fullmatch(u) for u in offline.blocked), pattern.pattern


def test_amap_positions_convert_back_to_storage(browser, scene_settings: Settings):  # type: ignore[no-untyped-def]
    settings = scene_settings.model_copy(update={"basemap_url": "amap"})
    lon, lat = 119.2213, 34.6012
    gx, gy = (float(v) for v in crs.wgs84_to_gcj02(lon, lat))
    with serve(create_app(settings)) as url, recording_page(browser) as (page, _offline):
        page.goto(f"{url}/map", wait_until="load")
        assert page.evaluate("window.gmBasemap.crs") == "gcj02"
        on_map = page.evaluate(f"(() => {{ const p = gmBasemap.toMap(L.latLng({lat}, {lon}));"
                               "return [p.lng, p.lat]; })()")
        back = page.evaluate(f"(() => {{ const p = gmBasemap.toStorage(L.latLng({gy}, {gx}));"
                             "return [p.lng, p.lat]; })()")
    assert on_map == pytest.approx([gx, gy], abs=1e-9)
    assert back == pytest.approx([lon, lat], abs=1e-8)


def test_local_pmtiles_basemap_is_drawn_offline(browser, scene_settings: Settings,  # type: ignore[no-untyped-def]
                                                tmp_path: Path):
    base = make_raster_archive(tmp_path / "base.pmtiles", (WEST, SOUTH, EAST, NORTH))
    settings = scene_settings.model_copy(update={"basemap_url": f"pmtiles://{base}"})
    with serve(create_app(settings)) as url, offline_page(browser) as (page, offline):
        ranges: list[str] = []
        page.on("request", lambda r: ranges.append(r.headers.get("range", ""))
                if r.url.endswith("/map/basemap.pmtiles") else None)
        page.goto(f"{url}/map", wait_until="load")
        page.wait_for_selector(".leaflet-tile-pane img[src^='blob:']", state="attached",
                               timeout=15_000)
        drawn = page.locator(".leaflet-tile-pane img[src^='blob:']").count()
        assert offline.errors == []
    assert drawn >= 1
    assert ranges and all(r.startswith("bytes=") for r in ranges)
    # offline_page fails the test on any request to another host


def test_vector_pmtiles_basemap_is_drawn_by_protomaps_leaflet(browser,  # type: ignore[no-untyped-def]
                                                              scene_settings: Settings,
                                                              tmp_path: Path):
    engine = create_engine(scene_settings.database_url or "")
    path = tmp_path / "v.pmtiles"
    with Session(engine) as session:  # gridmap's own archive: vector tiles, as a Protomaps one
        archive.export_archive(session, path, layers=["grids"], zooms=(12, 16))
    engine.dispose()
    settings = scene_settings.model_copy(update={"basemap_url": f"pmtiles://{path}"})
    with serve(create_app(settings)) as url, offline_page(browser) as (page, offline):
        page.goto(f"{url}/map", wait_until="load")
        page.wait_for_selector(".leaflet-tile-pane canvas", state="attached", timeout=15_000)
        page.wait_for_timeout(500)
        assert offline.errors == [] and offline.failed == []


def test_amap_map_of_many_grids_draws_them_shifted_not_from_tiles(  # type: ignore[no-untyped-def]
        browser, scene_settings: Settings):
    """On 高德 with more grids than /map embeds (2 over a cap of 1) the page asks for no
    vector tile (they would sit ~500 m off the image); zooming in on the southern grid with
    double-clicks, as a dispatcher does, brings that grid, drawn at its GCJ-02 place."""
    settings = scene_settings.model_copy(update={"basemap_url": "amap",
                                                 "map_grid_embed_max": 1})
    asked: list[str] = []
    with serve(create_app(settings)) as url, recording_page(browser) as (page, offline):
        page.on("request", lambda r: asked.append(r.url))
        page.goto(f"{url}/map", wait_until="load")
        page.wait_for_timeout(800)
        assert page.locator("path.gm-grid").count() == 0  # the whole district: left out
        box = page.locator(".leaflet-container").first.bounding_box()
        for _ in range(3):  # on the southern grid, a quarter of the way up from the bottom
            page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.75)
            page.wait_for_timeout(600)
        page.wait_for_selector("path.gm-grid", state="attached", timeout=15_000)
        wests = page.evaluate("""(() => {
            const map = Object.values(window).find(v => v instanceof L.Map), out = [];
            map.eachLayer(l => { if (l.options && l.options.className === 'gm-grid'
                                     && l.getBounds) { out.push(l.getBounds().getWest()); } });
            return out; })()""")
        assert offline.errors == []
    # both grids' west edge is 119.200 (CGCS2000); on the page it lies ~500 m east (GCJ-02)
    assert wests and all(119.2035 < w < 119.2065 for w in wests), wests
    assert not [u for u in asked if "/tiles/" in u], "vector tiles asked for under GCJ-02"
