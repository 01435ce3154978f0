"""/map/coverage with buildings above ``map_embed_max``, in a real headless Chromium against a
live uvicorn with every outside request blocked: every footprint comes from the local building
tiles, the uncovered building is embedded above them and its own popup opens on click.

One street along y=0 (metres, tests/gis/walknet.py), a 党群服务中心 at (0, -10); building A
at (100, -40) walks 140 m (covered by 10 minutes at 50 m/min), U at (1100, -20) 1120 m (not).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from api.main import create_app
from gis.core.settings import Settings
from layers import assets
from tests import dbs
from tests.builders import make_building, make_facility
from tests.e2e.live import MAP_OBJECT, PYTESTMARK, offline_page, popup_after_click, serve
from tests.e2e.test_map_page import wait_until_idle
from tests.gis.walknet import at, box_around, line, make_roads, point

pytestmark = [*PYTESTMARK, pytest.mark.skipif(
    not assets.has_vectorgrid(), reason="Leaflet.VectorGrid missing: make install runs npm")]

TILE_PATHS = ".leaflet-gm-buildings-pane path.gm-building"
UNCOVERED_PATHS = ".leaflet-gm-coverage-uncovered-pane path"
COVERED_XY, UNCOVERED_XY = (100, -40), (1100, -20)


@pytest.fixture(scope="module")
def live(base_settings: Settings) -> Iterator[str]:
    """Base URL of a uvicorn whose /map/coverage embeds one of the two buildings."""
    engine = dbs.migrated_database(base_settings, "e2e_coverage_tiles")
    with Session(engine) as session:
        make_roads(session, line((-600, 0), (1200, 0)))
        for (x, y), households in ((COVERED_XY, 10), (UNCOVERED_XY, 20)):
            make_building(session, geom=box_around(x, y, half=15), households=households)
        make_facility(session, name="测试党群服务中心", type="party_center", geom=point(0, -10))
        session.commit()
    settings = dbs.settings_for(engine, base_settings).model_copy(update={"map_embed_max": 1})
    try:
        with serve(create_app(settings)) as url:
            yield url
    finally:
        dbs.drop_database(base_settings, engine)


def _view(page, xy: tuple[float, float]) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    lon, lat = at(*xy)
    page.evaluate(MAP_OBJECT + f".setView([{lat}, {lon}], 17, {{animate: false}})")
    wait_until_idle(page)
    return lat, lon


def test_footprints_come_as_tiles_under_the_uncovered(browser, live):  # type: ignore[no-untyped-def]
    with offline_page(browser) as (page, offline):
        tiles: list[int] = []
        page.on("response", lambda r: tiles.append(r.status) if "/tiles/" in r.url else None)
        page.goto(f"{live}/map/coverage?type=party_center&minutes=10", wait_until="load")
        page.wait_for_selector(UNCOVERED_PATHS, state="attached", timeout=15_000)
        assert page.locator(UNCOVERED_PATHS).count() == 1  # U only: A is not embedded
        wait_until_idle(page)
        lat, lon = _view(page, COVERED_XY)
        page.wait_for_function(f"document.querySelectorAll({TILE_PATHS!r}).length >= 1",
                               timeout=15_000)
        assert 200 in tiles and all(status in (200, 204) for status in tiles), tiles
        assert "已覆盖（其余建筑）" in page.locator(".gm-legend").inner_text()
        # A is a footprint from the tiles: anonymous, its popup says details need a key
        assert "详情需授权查看" in popup_after_click(page, lat, lon)
        page.keyboard.press("Escape")
        # U lies in the tiles too, but the embedded one above takes the click
        lat, lon = _view(page, UNCOVERED_XY)
        text = popup_after_click(page, lat, lon)
        assert "未覆盖" in text and "户数、人口" not in text, text
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)
