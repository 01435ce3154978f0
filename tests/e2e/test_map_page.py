"""The /map page in a real headless Chromium against a live uvicorn, with no network.

Every request the page makes to a host other than loopback is blocked and fails the test:
the page must run on an intranet with no internet. Data is a small scene committed to a
database of its own (uvicorn runs in another thread and sees only committed rows).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy.orm import Session

from api.main import create_app
from gis.settings import Settings
from tests import dbs
from tests.layers.scene import BIG, make_scene

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(scripts/install-sysdeps.sh --test installs it)"),
]


@pytest.fixture(scope="module")
def live_url(base_settings: Settings) -> Iterator[str]:
    """A uvicorn on 127.0.0.1 (a free port) serving the app over a committed scene."""
    engine = dbs.migrated_database(base_settings, "e2e")
    with Session(engine) as session:
        make_scene(session)
        session.commit()
    app = create_app(dbs.settings_for(engine, base_settings))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        dbs.drop_database(base_settings, engine)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Offline:
    """Blocks and records every request to a non-loopback host; records failures too."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

    def route(self, route, request) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(request.url)
            route.abort()

    def response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


MAP_OBJECT = ("Object.values(window).find(v => v instanceof L.Map)")


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
def map_page(browser, live_url: str) -> Iterator[tuple[object, Offline]]:  # type: ignore[no-untyped-def]
    offline = Offline()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("response", offline.response)
    page.on("pageerror", lambda exc: offline.errors.append(str(exc)))
    page.goto(f"{live_url}/map", wait_until="load")
    page.wait_for_selector("path.gm-grid", state="attached", timeout=15_000)
    wait_until_idle(page)
    yield page, offline
    context.close()
    assert offline.blocked == [], f"the page tried to reach other hosts: {offline.blocked}"


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
    point = page.evaluate("(() => { const m = " + MAP_OBJECT + ";"
                          "const p = m.latLngToContainerPoint([34.618, 119.202]);"
                          "const r = m.getContainer().getBoundingClientRect();"
                          "return [p.x + r.left, p.y + r.top]; })()")
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    text = popup.inner_text()
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
