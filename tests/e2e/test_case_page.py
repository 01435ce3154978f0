"""The case page (/map/dispatch?event=CODE) in a real headless Chromium, with no network:
a dispatcher takes an overdue demo case, blows the whistle (吹哨) and works it to closure
through the page's buttons, accepting each confirmation; the timeline shows every step in
Beijing time without a reload, and the list page filters to the case.

The demo district is committed to a database of its own (uvicorn sees only committed rows).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.main import create_app
from gis import demo
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.builders import make_photo_jpeg
from tests.e2e.live import PYTESTMARK, offline_page, serve

pytestmark = PYTESTMARK
STEPS = (("处置", "处置"), ("办结", "办结"), ("核查", "核查"), ("结案", "结案"))


@pytest.fixture(scope="module")
def live_case(base_settings: Settings) -> Iterator[tuple[str, str, str, str]]:
    """(base URL, dispatcher key, overdue dispatched event, its grid's name) on the demo."""
    engine = dbs.migrated_database(base_settings, "e2e_case")
    demo.load_demo(engine, seed=42)
    with Session(engine) as session:
        row = session.execute(text(
            "SELECT e.code, g.name FROM event e JOIN grid g ON g.id = e.grid_id "
            "WHERE e.status = 'dispatched' AND e.due_at < now() AND e.escalation_level = "
            "'grid' AND e.duplicate_of IS NULL ORDER BY e.due_at, e.code LIMIT 1")).one()
        key = keys.create_key(session, role="dispatcher", label="值班调度")
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, key, row.code, row.name
    finally:
        dbs.drop_database(base_settings, engine)


LAYERS_LOADED = "document.documentElement.getAttribute('data-gm-layers') === 'loaded'"


def _log_in(page, url: str, target: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}{target}", wait_until="load")
    assert "/map/login" in page.url
    page.get_by_label("API 密钥").fill(key)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="登录").click()


def _beijing_now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def _assert_recent_beijing(stamp: str) -> None:
    shown = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    assert abs((_beijing_now() - shown).total_seconds()) < 180, stamp


def test_overdue_case_escalated_and_closed_through_the_buttons(browser, live_case):  # type: ignore[no-untyped-def]
    url, key, code, _ = live_case
    with offline_page(browser, width=1400, height=900) as (page, offline):
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda dialog: dialog.accept())
        _log_in(page, url, f"/map/dispatch?event={code}", key)
        panel = page.locator("#gm-case")
        assert "已超期" in panel.inner_text()
        page.get_by_role("button", name="吹哨（升至社区）").click()
        expect_step(page, "吹哨：网格 → 社区", "吹哨（升至社区）")
        assert page.get_by_role("button", name="吹哨（升至街道）").is_visible()
        for button, label in STEPS:
            page.get_by_role("button", name=button, exact=True).click()
            expect_step(page, label, button)
        assert "结案" in page.locator("#gm-case .gm-facts").inner_text()
        assert page.locator("#gm-case [data-act=move]").all_inner_texts() == []
        assert "不能吹哨：事件已结案" in panel.inner_text()
        assert offline.errors == [] and offline.failed == [] and console == [], (
            offline.errors, offline.failed, console)
    answer = httpx.get(f"{url}/api/v1/events/{code}", timeout=10,
                       headers={"Authorization": f"Bearer {key}"}).json()
    assert answer["properties"]["status"] == "closed"
    assert answer["properties"]["escalation_level"] == "community"


def expect_step(page, text_in_log: str, button: str) -> None:  # type: ignore[no-untyped-def]
    """The status line reports the step and the timeline's newest entry shows it, by 调度员·
    值班调度, at the current Beijing minute."""
    status = page.locator("#gm-case-msg")
    status.filter(has_text=f"{button}：已完成").wait_for(timeout=10_000)
    newest = page.locator("#gm-case .gm-log li").first
    entry = newest.inner_text()
    assert text_in_log in entry and "调度员·值班调度" in entry, entry
    _assert_recent_beijing(newest.locator("time").inner_text())


def test_list_filters_to_the_overdue_case_of_a_grid(browser, live_case):  # type: ignore[no-untyped-def]
    url, key, _, grid_name = live_case
    grid_code = _grid_code(url, key, grid_name)
    with offline_page(browser, width=1400, height=900) as (page, offline):
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        _log_in(page, url, "/map/dispatch/list", key)
        # the map's dots and the pickers' choices come after load (layers/deferred.py)
        page.wait_for_function(LAYERS_LOADED, timeout=15_000)
        page.get_by_label("视图", exact=True).select_option(label="超期")
        grid = page.get_by_label("网格", exact=True)
        grid.select_option(label=_option_label(grid, grid_name))
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="筛选").click()
        page.wait_for_function(LAYERS_LOADED, timeout=15_000)
        assert "view=overdue" in page.url
        expected = httpx.get(f"{url}/api/v1/events", timeout=10, params={
            "grid": grid_code, "overdue": "true", "limit": 1},
            headers={"Authorization": f"Bearer {key}"}).json()["numberMatched"]
        assert expected > 0 and f"共 {expected} 件，其中超期 {expected} 件" in page.inner_text(
            ".gm-list-panel")
        rows = page.locator("table.gm-queue tr").all_inner_texts()[1:]
        assert len(rows) == min(expected, 50) and all("超期" in t for t in rows)
        fly = page.locator("table.gm-queue .gm-fly").first
        fly.click()  # 定位: the map goes there
        zoomed = "() => Object.values(window).find(v => v instanceof L.Map).getZoom() === 18"
        try:
            page.wait_for_function(zoomed, timeout=5_000)
        except PlaywrightTimeout:  # Leaflet ignores a zoom while it is still animating one
            fly.click()  # (the markers' own); a person clicks 定位 again
            page.wait_for_function(zoomed, timeout=5_000)
        dot = page.locator(".gm-event-dot").first
        dot.wait_for(state="visible", timeout=25_000)  # then the dots (a busy CI)
        box = dot.bounding_box()
        assert box is not None and box["width"] >= 14
        page.locator(".gm-list-panel summary").click()  # fold the list away from the map
        # the dot is filled: a click a quarter in from its edge hits it and opens the popup
        dot.click(position={"x": box["width"] / 4, "y": box["height"] / 2})
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=5_000)
        assert "办理此事件" in popup.inner_text() and "处置时限" in popup.inner_text()
        colour = dot.evaluate("d => getComputedStyle(d).backgroundColor")
        assert colour == "rgb(211, 47, 47)"  # overdue red
        assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
        page.get_by_label("事件热力图").check()  # the heat map toggle
        page.locator("canvas.leaflet-heatmap-layer").wait_for(state="attached", timeout=5_000)
        assert offline.errors == [] and offline.failed == [] and console == [], (
            offline.errors, offline.failed, console)


def _grid_code(url: str, key: str, grid_name: str) -> str:
    grids = httpx.get(f"{url}/api/v1/grids", params={"limit": 1000}, timeout=10,
                      headers={"Authorization": f"Bearer {key}"}).json()["features"]
    return next(g["properties"]["code"] for g in grids if g["properties"]["name"] == grid_name)


def _option_label(select, grid_name: str) -> str:  # type: ignore[no-untyped-def]
    labels = [t for t in select.locator("option").all_inner_texts()
              if t.startswith(f"{grid_name}（")]
    assert labels, grid_name
    return labels[0]


def test_a_photo_uploaded_with_the_labelled_control_shows_as_a_thumbnail(browser, live_case):  # type: ignore[no-untyped-def]
    """上传照片 takes a phone's JPEG (GPS in its EXIF); the panel shows its thumbnail (640×480
    turned upright, 240×320), and the
    stored image carries no EXIF; a file that is no photo is refused with a reason."""
    url, key, code, _ = live_case
    with offline_page(browser, width=1400, height=900) as (page, offline):
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        _log_in(page, url, f"/map/dispatch?event={code}", key)
        thumbs = page.locator("#gm-case .gm-photos img")
        assert thumbs.count() == 0
        page.get_by_label("上传照片").set_input_files(
            {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": make_photo_jpeg()})
        page.locator("#gm-case-msg").filter(has_text="照片已上传").wait_for(timeout=10_000)
        thumbs.first.wait_for(state="visible", timeout=10_000)
        page.wait_for_function("() => { const i = document.querySelector('#gm-case .gm-photos "
                               "img'); return i && i.complete && i.naturalWidth === 240; }",
                               timeout=10_000)
        page.get_by_label("上传照片").set_input_files(
            {"name": "报告.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 not a photo"})
        page.locator("#gm-case-msg").filter(has_text="照片未上传").wait_for(timeout=10_000)
        assert "JPEG" in page.locator("#gm-case-msg").inner_text()
        assert thumbs.count() == 1
        refused = [f for f in offline.failed if f.startswith("422 ") and f.endswith("/photos")]
        assert offline.errors == [] and offline.failed == refused and len(refused) == 1, (
            offline.errors, offline.failed)
        assert [c for c in console if "422" not in c] == [], console
    listed = httpx.get(f"{url}/api/v1/events/{code}/photos", timeout=10,
                       headers={"Authorization": f"Bearer {key}"}).json()["items"]
    image = httpx.get(f"{url}{listed[0]['url']}", timeout=10,
                      headers={"Authorization": f"Bearer {key}"})
    assert dict(Image.open(io.BytesIO(image.content)).getexif()) == {}
