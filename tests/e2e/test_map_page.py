"""The /map page in a real headless Chromium against a live uvicorn, with no network.

Every request the page makes to a host other than loopback is blocked and fails the test:
the page must run on an intranet with no internet. Data is a small scene committed to a
database of its own (uvicorn runs in another thread and sees only committed rows).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.main import create_app
from gis.core.settings import Settings
from tests import dbs
from tests.e2e.live import MAP_OBJECT, PYTESTMARK, offline_page, popup_after_click, serve
from tests.layers.scene import BIG, make_scene

pytestmark = PYTESTMARK


@pytest.fixture(scope="module")
def live_url(base_settings: Settings) -> Iterator[str]:
    """A uvicorn on 127.0.0.1 (a free port) serving the app over a committed scene."""
    engine = dbs.migrated_database(base_settings, "e2e")
    with Session(engine) as session:
        make_scene(session)
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url
    finally:
        dbs.drop_database(base_settings, engine)




def wait_until_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the map has stopped zooming/panning (a click during the opening fitBounds
    animation lands on a marker that is about to move)."""
    page.evaluate(f"""() => new Promise(done => {{
        const map = {MAP_OBJECT};
        const settled = () => !map._animatingZoom && !(map._panAnim && map._panAnim._inProgress);
        const check = () => settled() ? setTimeout(done, 300) : setTimeout(check, 50);
        check();
    }})""")


@pytest.fixture
def map_page(browser, live_url: str) -> Iterator[tuple[object, object]]:  # type: ignore[no-untyped-def]
    with offline_page(browser) as (page, offline):
        page.goto(f"{live_url}/map", wait_until="load")
        page.wait_for_selector("path.gm-grid", state="attached", timeout=15_000)
        wait_until_idle(page)
        yield page, offline


def test_map_page_draws_its_layers_offline(map_page, tmp_path: Path):  # type: ignore[no-untyped-def]
    page, offline = map_page
    assert page.evaluate("typeof window.L === 'object' && L.version") == "1.9.3"
    assert page.locator("path.gm-grid").count() == 2
    assert page.locator("path.gm-building").count() == 2
    assert page.locator(".gm-divicon .gm-icon").count() == 2
    labels = page.locator(".gm-grid-label")
    assert labels.count() == 2 and any(BIG in text for text in labels.all_text_contents())
    legend = page.locator(".gm-legend")
    assert legend.is_visible()
    assert "超过 500 户" in legend.inner_text() and "党群服务中心" in legend.inner_text()
    assert page.locator(".leaflet-control-layers").is_visible()
    assert "社区边界" in page.locator(".leaflet-control-layers").inner_text()
    assert page.locator(".leaflet-control-scale").is_visible()
    shot = tmp_path / "map.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    keep = Path("/tmp/gridmap-e2e-map.png")  # for a person to look at after a run
    shutil.copy(shot, keep)
    assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)


def test_grid_labels_show_when_zoomed_in(map_page):  # type: ignore[no-untyped-def]
    page, _ = map_page
    label = page.locator(".gm-grid-label", has_text="南苑网格")
    page.evaluate(MAP_OBJECT + ".setZoom(15, {animate: false})")
    assert not label.is_visible()
    page.evaluate(MAP_OBJECT + ".setView([34.605, 119.21], 16, {animate: false})")
    label.wait_for(state="visible", timeout=5_000)
    assert not label.locator(".gm-code").is_visible()
    page.evaluate(MAP_OBJECT + ".setZoom(17, {animate: false})")
    label.locator(".gm-code").wait_for(state="visible", timeout=5_000)
    assert "GM-S01" in label.inner_text()


def test_clicking_a_grid_opens_a_chinese_popup(map_page):  # type: ignore[no-untyped-def]
    page, offline = map_page
    # a point in the northern grid away from its building, label and icons
    text = popup_after_click(page, 34.618, 119.202)
    for expected in ("北苑<网格>", BIG, "600 户", "1500 人", "km²", "张网格", "13900001111",
                     "监督电话", "0518-12345", "未办结事件"):
        assert expected in text, (expected, text)
    assert offline.errors == []


def test_clicking_a_facility_opens_its_popup(map_page):  # type: ignore[no-untyped-def]
    page, _ = map_page
    page.locator(".gm-divicon", has_text="医").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    assert "花果山卫生服务站" in popup.inner_text() and "卫生服务站" in popup.inner_text()
