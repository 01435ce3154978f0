"""The map pages on a phone (390×844) in a real headless Chromium with no network: after
load, panels, legends and the layer list cover at most a quarter of the screen (the rest
folded behind buttons that open them), every visible button and link is at least 40 px high,
and the grid worker's phone is a tappable ``tel:`` link.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.main import create_app
from gis import demo
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.e2e.live import PYTESTMARK, offline_page, serve

pytestmark = PYTESTMARK
PHONE = {"width": 390, "height": 844}
COVERED_JS = """() => {
    const boxes = [...document.querySelectorAll(
        '.gm-panel, .leaflet-control-layers, .gm-shell, .gm-title, .gm-fold')]
        .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
    const W = window.innerWidth, H = window.innerHeight, step = 5;
    let inside = 0, all = 0;
    for (let x = 0; x < W; x += step) for (let y = 0; y < H; y += step) {
        all += 1;
        if (boxes.some(r => x >= r.left && x < r.right && y >= r.top && y < r.bottom)) inside += 1;
    }
    return inside / all;
}"""
SMALL_TARGETS_JS = """() => [...document.querySelectorAll('button, a[href], select')]
    .filter(e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
                   return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
                       && r.bottom > 0 && r.top < window.innerHeight; })
    .filter(e => e.getBoundingClientRect().height < 40)
    .map(e => `${e.tagName} ${(e.textContent || e.title || e.className).trim().slice(0, 20)} `
              + `${Math.round(e.getBoundingClientRect().height)}px`)"""


@pytest.fixture(scope="module")
def live_phone(base_settings: Settings) -> Iterator[tuple[str, str, str]]:
    """(base URL, dispatcher key, a dispatched event's code) on the demo district."""
    engine = dbs.migrated_database(base_settings, "e2e_phone")
    demo.load_demo(engine, seed=42)
    with Session(engine) as session:
        code = session.execute(text("SELECT min(code) FROM event WHERE status = 'dispatched' "
                                    "AND grid_id IS NOT NULL")).scalar_one()
        key = keys.create_key(session, role="dispatcher", label="手机值班")
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, key, code
    finally:
        dbs.drop_database(base_settings, engine)


def _log_in(page, url: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/map/login", wait_until="load")
    page.get_by_label("API 密钥").fill(key)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("target", ["/map", "/map/dispatch", "/map/dispatch?event="])
def test_phone_pages_leave_the_map_visible_with_big_tap_targets(browser, live_phone, target):  # type: ignore[no-untyped-def]
    url, key, code = live_phone
    with offline_page(browser, **PHONE) as (page, offline):
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        _log_in(page, url, key)
        page.goto(url + target + (code if target.endswith("=") else ""), wait_until="load")
        covered = page.evaluate(COVERED_JS)
        assert covered <= 0.25, f"{target}: panels cover {covered:.0%} of the screen"
        assert page.evaluate(SMALL_TARGETS_JS) == []
        folded = page.locator("button.gm-fold")
        assert folded.count() >= 1
        folded.first.click()  # a folded panel opens from its button, still leaving map
        assert folded.first.get_attribute("aria-expanded") == "true"
        assert page.locator(".gm-panel.gm-unfolded").first.is_visible()
        assert page.evaluate(SMALL_TARGETS_JS) == []
        assert offline.errors == [] and console == []


def test_phone_case_page_worker_phone_is_a_tel_link(browser, live_phone):  # type: ignore[no-untyped-def]
    url, key, code = live_phone
    with offline_page(browser, **PHONE) as (page, _):
        _log_in(page, url, key)
        page.goto(f"{url}/map/dispatch?event={code}", wait_until="load")
        page.get_by_role("button", name="网格员联系卡").click()
        tel = page.locator(".gm-card-panel a[href^='tel:']").first
        assert tel.is_visible()
        assert tel.bounding_box()["height"] >= 40


def test_phone_menu_collapses_behind_a_button(browser, live_phone):  # type: ignore[no-untyped-def]
    url, key, _ = live_phone
    with offline_page(browser, **PHONE) as (page, _):
        _log_in(page, url, key)
        page.goto(f"{url}/map", wait_until="load")
        menu = page.get_by_role("link", name="事件调度")
        assert not menu.is_visible()
        page.get_by_role("button", name="菜单").click()
        assert menu.is_visible() and menu.bounding_box()["height"] >= 40
