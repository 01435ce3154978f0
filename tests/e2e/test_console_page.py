"""The dispatcher console (/map/dispatch) in a real headless Chromium, with no network: a
街道 dispatcher takes calls the way a person does, through the labelled controls.

(a) an address call in at most 3 counted actions (type the address, choose the category,
press 提交) ends with the event's code, grid, worker's phone and Beijing due time on screen;
(b) a GCJ-02 coordinate pasted into 搜索 lands in the grid /locate gives for the converted
point, and is recorded there; (c) an unclear address is saved to the 待定位 queue and placed
with one click on a geocoder candidate on the map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys
from gis.core import clock, crs
from gis.core.settings import Settings
from tests import dbs
from tests.builders import SUBDISTRICT, make_building, make_grid, make_region, make_worker, square
from tests.e2e.live import PYTESTMARK, offline_page, serve

pytestmark = PYTESTMARK

NORTH, SOUTH = "320706013001", "320706013002"
WORKERS = {"G-N": ("赵六", "13900006666"), "G-S": ("钱七", "13900007777")}


@pytest.fixture(scope="module")
def live_console(base_settings: Settings) -> Iterator[tuple[str, str]]:
    """(base URL, 街道 dispatcher key) over a committed scene: two communities of one 街道,
    a grid and a worker each, buildings of 阳光花园小区 in the north one."""
    engine = dbs.migrated_database(base_settings, "e2e_console")
    with Session(engine) as session:
        make_region(session, code=SUBDISTRICT, name="苍梧街道", level="subdistrict",
                    geom=square(119.19, 34.59, 0.05))
        for community, lon, code in ((NORTH, 119.20, "G-N"), (SOUTH, 119.22, "G-S")):
            make_region(session, code=community, name=f"{code[-1]}社区", parent_code=SUBDISTRICT,
                        geom=square(lon, 34.60, 0.02))
            grid = make_grid(session, code=code, name=f"{code[-1]}苑网格",
                             community_code=community, geom=square(lon, 34.60, 0.01))
            name, phone = WORKERS[code]
            make_worker(session, name=name, phone=phone, grids=[grid])
            if code == "G-N":
                for n, x in ((1, 119.203), (2, 119.206)):
                    make_building(session, address=f"朝阳东路12号{n}栋", compound="阳光花园小区",
                                  grid=grid, community_code=NORTH,
                                  geom=square(x, 34.603, 0.0004))
        key = keys.create_key(session, role="dispatcher", region_code=SUBDISTRICT)
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, key
    finally:
        dbs.drop_database(base_settings, engine)


@pytest.fixture
def console(browser, live_console):  # type: ignore[no-untyped-def]
    url, key = live_console
    with offline_page(browser, width=1400, height=900) as (page, offline):
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error"
                else None)
        page.goto(f"{url}/map/dispatch", wait_until="load")
        assert "/map/login" in page.url  # a person logs in first
        page.fill("#key", key)
        with page.expect_navigation(url="**/map/dispatch", wait_until="load"):
            page.click("button[type=submit]")
        page.wait_for_selector("#gm-queue li", timeout=15_000)
        yield page
        assert console_errors == [] and offline.errors == [], (console_errors, offline.errors)
        assert offline.failed == [], offline.failed


def _api(live_console: tuple[str, str], path: str, **params: object) -> dict:
    url, key = live_console
    res = httpx.get(f"{url}{path}", params=params, timeout=10,
                    headers={"Authorization": f"Bearer {key}"})
    res.raise_for_status()
    return dict(res.json())


def _counted() -> tuple[list[str], Callable[[str, Callable[[], object]], None]]:
    done: list[str] = []

    def act(what: str, fn: Callable[[], object]) -> None:
        done.append(what)
        fn()
    return done, act


def test_an_address_call_in_three_actions(console, live_console) -> None:  # type: ignore[no-untyped-def]
    page = console
    actions, act = _counted()
    act("type the address", lambda: page.get_by_label("地址", exact=True).fill(
        "连云港市海州区朝阳东路十二号一幢二单元"))
    act("choose the category", lambda: page.get_by_label("类别", exact=True).select_option(
        label="噪音扰民"))
    act("press 提交", lambda: page.get_by_role("button", name="提交").click())
    card = page.locator("#gm-intake-result")
    phone = card.locator('a[href="tel:13900006666"]')
    phone.wait_for(state="visible", timeout=10_000)
    assert len(actions) <= 3, actions
    code = card.locator("a.gm-event-code").inner_text()
    event = _api(live_console, f"/api/v1/events/{code}")["properties"]
    assert event["grid_code"] == "G-N" and event["status"] == "reported"
    text = card.inner_text()
    assert "G-N" in text and "N社区" in text and "赵六" in text
    due = clock.local_text(datetime.fromisoformat(event["due_at"]))
    assert due in text  # Beijing time, YYYY-MM-DD HH:MM
    assert card.locator("a.gm-event-code").get_attribute("href") == \
        f"/map/dispatch?event={code}"


def test_a_gcj02_coordinate_call(console, live_console) -> None:  # type: ignore[no-untyped-def]
    page = console
    gx, gy = (float(v) for v in crs.wgs84_to_gcj02(119.2262, 34.6031))
    page.get_by_label("搜索", exact=True).fill(f"{gx:.6f},{gy:.6f}")
    page.get_by_label("坐标系", exact=True).select_option("gcj02")
    page.get_by_role("button", name="查找").click()
    result = page.locator("#gm-search-result")
    result.locator("table").wait_for(state="visible", timeout=10_000)
    wx, wy = (float(v) for v in crs.gcj02_to_wgs84(gx, gy))
    expected = _api(live_console, "/api/v1/locate", lon=wx, lat=wy, crs="EPSG:4490")
    assert expected["grid"]["code"] == "G-S"
    assert f"{expected['grid']['code']} {expected['grid']['name']}" in result.inner_text()
    assert result.locator('a[href="tel:13900007777"]').is_visible()
    page.get_by_role("button", name="用此位置登记").click()
    page.get_by_label("类别", exact=True).select_option(label="乱停乱放")
    page.get_by_role("button", name="提交").click()
    card = page.locator("#gm-intake-result .gm-event-card")
    card.wait_for(state="visible", timeout=10_000)
    assert "G-S" in card.inner_text() and "13900007777" in card.inner_text()


def test_an_unclear_address_is_placed_from_the_queue(console, live_console) -> None:  # type: ignore[no-untyped-def]
    page = console
    page.get_by_label("地址", exact=True).fill("阳光花园小区")  # which building? unclear
    page.get_by_label("类别", exact=True).select_option(label="环境卫生")
    page.get_by_role("button", name="提交").click()
    result = page.locator("#gm-intake-result")
    result.locator(".gm-warn", has_text="待定位").wait_for(timeout=10_000)
    code = result.locator("a.gm-event-code").inner_text()
    event = _api(live_console, f"/api/v1/events/{code}")["properties"]
    assert event["status"] == "needs_location" and event["region_code"] == SUBDISTRICT
    item = page.locator(".gm-queue-item", has_text=code)
    item.wait_for(timeout=10_000)
    assert item.get_attribute("aria-pressed") == "true"  # the new one is chosen at once
    marker = page.locator(".gm-candidate").first  # candidate 1 on the map
    marker.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(600)  # the map's fly-to-candidates animation
    marker.click()
    placed = page.locator("#gm-queue-result .gm-event-card")
    placed.wait_for(state="visible", timeout=10_000)
    assert "G-N" in placed.inner_text() and "13900006666" in placed.inner_text()
    after = _api(live_console, f"/api/v1/events/{code}")["properties"]
    assert after["status"] == "reported" and after["community_code"] == NORTH
    assert page.locator(".gm-queue-item", has_text=code).count() == 0
