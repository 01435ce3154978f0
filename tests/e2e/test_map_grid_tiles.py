"""/map with grids as vector tiles (``map_grid_embed_max`` below the scene's two grids), in a
real headless Chromium against a live uvicorn, every outside request blocked: the grids come
from /tiles/grids filled by their household class, their popup is built from the tile's
properties, and grid labels come from the layers answer only for a view of few grids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from api.main import create_app
from gis.core.settings import Settings
from layers import assets, catalogue
from tests import dbs
from tests.e2e.live import MAP_OBJECT, PYTESTMARK, offline_page, popup_after_click, serve
from tests.e2e.test_map_page import wait_until_idle
from tests.layers.scene import make_scene

pytestmark = [*PYTESTMARK, pytest.mark.skipif(
    not assets.has_vectorgrid(), reason="Leaflet.VectorGrid missing: make install runs npm")]

GRID_PATHS = ".leaflet-gm-grids-pane path.gm-grid"
LABELS = ".gm-grid-label"


@pytest.fixture(scope="module")
def live(base_settings: Settings) -> Iterator[str]:
    """Base URL of a uvicorn whose /map draws more than one grid from tiles."""
    engine = dbs.migrated_database(base_settings, "e2e_grid_tiles")
    with Session(engine) as session:
        make_scene(session)
        session.commit()
    settings = dbs.settings_for(engine, base_settings).model_copy(
        update={"map_grid_embed_max": 1})
    try:
        with serve(create_app(settings)) as url:
            yield url
    finally:
        dbs.drop_database(base_settings, engine)


def test_grids_come_as_classed_vector_tiles(browser, live):  # type: ignore[no-untyped-def]
    with offline_page(browser) as (page, offline):
        tiles: list[tuple[int, str]] = []
        page.on("response",
                lambda r: tiles.append((r.status, r.url)) if "/tiles/grids/" in r.url else None)
        page.goto(f"{live}/map", wait_until="load")
        page.evaluate(MAP_OBJECT + ".setView([34.61, 119.21], 15, {animate: false})")
        page.wait_for_function(f"document.querySelectorAll({GRID_PATHS!r}).length >= 2",
                               timeout=15_000)
        wait_until_idle(page)
        assert tiles and all(status in (200, 204) for status, _ in tiles), tiles
        fills = set(page.eval_on_selector_all(
            GRID_PATHS, "ps => ps.map(p => p.getAttribute('fill'))"))
        colours = [entry.color for entry in catalogue.HOUSEHOLD_CLASSES]
        assert {colours[0], colours[3]} <= fills, fills  # 200 and 600 households
        assert page.locator(LABELS).count() == 0  # two grids in view: over the cap

        text = popup_after_click(page, 34.617, 119.203)  # the northern grid, no building
        for expected in ("北苑<网格>", "GM-N01", "户数", "600 户"):
            assert expected in text, (expected, text)

        # zoomed in on the southern grid alone: its label comes from the layers answer
        page.keyboard.press("Escape")
        page.evaluate(MAP_OBJECT + ".setView([34.603, 119.21], 17, {animate: false})")
        page.wait_for_function(f"document.querySelectorAll({LABELS!r}).length >= 1",
                               timeout=15_000)
        assert "南苑网格" in page.locator(LABELS).first.inner_text()
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)
