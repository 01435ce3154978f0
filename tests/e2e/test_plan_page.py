"""A plan on the workbench (/map/plans/{id}) in a real headless Chromium, with no network:
Leaflet.draw loads from gridmap's own URLs with Chinese texts, and a line drawn on the
proposed map splits the grid it crosses through the API (the page then reloads), written with
the login cookie and the page's CSRF token (no API key on the page), as a change of the plan
version the page shows (If-Match): on a plan changed since, a 412 and a prompt to reload.

Same pattern as test_map_page.py: a database of its own with a committed lattice plan,
uvicorn in a thread, every non-loopback request blocked and failing the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from api.main import create_app
from gis import plans
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.e2e.live import PYTESTMARK, offline_page, serve
from tests.plan_cases import make_lattice

pytestmark = PYTESTMARK

PROPOSED_MAP = ("Object.values(window).find(v => v instanceof L.Map "
                "&& v.getContainer().querySelector('.leaflet-draw'))")


@pytest.fixture(scope="module")
def live_plan(base_settings: Settings) -> Iterator[tuple[str, int, str]]:
    """(base URL, plan id, planner key): a committed balance plan of the lattice community."""
    engine = dbs.migrated_database(base_settings, "e2e_plan")
    with Session(engine) as session:
        community, _, _ = make_lattice(session, merged_g3_g4=True)
        plan = plans.create_plan(session, kind="balance", scope_code=community,
                                 created_by="e2e")
        key = keys.create_key(session, role="planner", region_code=community)
        plan_id = plan.id
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, plan_id, key
    finally:
        dbs.drop_database(base_settings, engine)


@pytest.fixture
def plan_page(browser, live_plan):  # type: ignore[no-untyped-def]
    url, plan_id, key = live_plan
    with offline_page(browser, width=1400, height=900) as (page, offline):
        page.goto(f"{url}/map/plans/{plan_id}", wait_until="load")
        if "/map/login" in page.url:  # the page wants a logged-in planner (a GET-only cookie)
            page.fill("#key", key)
            with page.expect_navigation(url=f"**/map/plans/{plan_id}", wait_until="load"):
                page.click("button[type=submit]")
        try:
            page.wait_for_selector(".leaflet-draw-toolbar", state="attached", timeout=15_000)
        except Exception:
            raise AssertionError(f"no draw toolbar: {offline.errors} {offline.failed} "
                                 f"{offline.blocked} at {page.url}") from None
        yield page, offline


def _grid_count(url: str, plan_id: int, key: str) -> int:
    res = httpx.get(f"{url}/api/v1/plans/{plan_id}",
                    headers={"Authorization": f"Bearer {key}"}, timeout=10)
    res.raise_for_status()
    return len(res.json()["grids"]["features"])


def _version(url: str, plan_id: int, key: str) -> int:
    res = httpx.get(f"{url}/api/v1/plans/{plan_id}",
                    headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert res.headers["ETag"] == f'"{res.json()["version"]}"'
    return int(res.json()["version"])


def test_draw_toolbar_loads_offline(plan_page):  # type: ignore[no-untyped-def]
    page, offline = plan_page
    assert page.evaluate("typeof L.Draw === 'object' && typeof L.Control.Draw === 'function'")
    assert page.locator(".leaflet-draw-draw-polyline").is_visible()
    assert page.locator(".leaflet-draw-draw-polygon").is_visible()
    assert page.locator(".leaflet-draw-draw-marker").count() == 0
    assert page.locator("#gm-editor").is_visible()
    assert "API 密钥" not in page.locator("#gm-editor").inner_text()
    line_tool = page.locator(".leaflet-draw-draw-polyline")
    assert line_tool.get_attribute("title") == "画线：沿线拆分网格"  # Chinese from the start
    # the toolbar's sprite comes from gridmap too (a 404 would land in offline.failed)
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/gridmap-e2e-plan.png")  # for a person to look at after a run
    assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)


def test_drawn_line_splits_the_grid_it_crosses(plan_page, live_plan):  # type: ignore[no-untyped-def]
    page, offline = plan_page
    url, plan_id, key = live_plan
    before, version = _grid_count(url, plan_id, key), _version(url, plan_id, key)
    with (page.expect_response(lambda r: r.url.endswith(f"/api/v1/plans/{plan_id}/edits")
                               and r.request.method == "POST") as posted,
          page.expect_navigation(timeout=15_000)):
        page.evaluate(f"{PROPOSED_MAP}.fire(L.Draw.Event.CREATED, {{layerType: 'polyline',"
                      " layer: L.polyline([[34.59, 119.218], [34.62, 119.218]])})")
    assert posted.value.status == 200
    sent = posted.value.request.headers
    assert "authorization" not in sent and sent["x-csrf-token"]  # the login cookie writes
    # the edit is a change of the version the page showed
    assert posted.value.request.headers["if-match"] == f'"{version}"'
    assert _grid_count(url, plan_id, key) == before + 1
    page.wait_for_selector(".leaflet-draw-toolbar", state="attached", timeout=15_000)
    assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)


def _line(lon: float) -> str:
    return (f"{PROPOSED_MAP}.fire(L.Draw.Event.CREATED, {{layerType: 'polyline', "
            f"layer: L.polyline([[34.59, {lon}], [34.62, {lon}]])}})")


def test_an_edit_on_a_page_older_than_the_plan_is_refused(plan_page, live_plan):  # type: ignore[no-untyped-def]
    page, offline = plan_page
    url, plan_id, key = live_plan
    # another planner edits the plan after this page loaded
    other = httpx.post(f"{url}/api/v1/plans/{plan_id}/edits", timeout=30,
                       headers={"Authorization": f"Bearer {key}"},
                       json={"op": "split", "line": {"type": "LineString", "coordinates": [
                           [119.203, 34.59], [119.203, 34.62]]}})
    assert other.status_code == 200, other.text
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/plans/{plan_id}/edits")
                              and r.request.method == "POST") as posted:
        page.evaluate(_line(119.207))
    assert posted.value.status == 412
    page.wait_for_function("document.getElementById('gm-status').textContent.includes('刷新')")
    assert _version(url, plan_id, key) == other.json()["version"]  # the stale edit did nothing
    assert offline.errors == [], offline.errors


def test_reject_asks_first_and_then_rejects(plan_page, live_plan):  # type: ignore[no-untyped-def]
    """驳回 opens the confirmation; 取消 leaves the draft alone, 确认 rejects it (last test
    of the module: the plan is no longer a draft afterwards)."""
    page, offline = plan_page
    url, plan_id, key = live_plan
    page.get_by_role("button", name="驳回").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible() and "方案作废" in dialog.inner_text()
    dialog.get_by_role("button", name="取消").click()
    assert not dialog.is_visible()
    status = httpx.get(f"{url}/api/v1/plans/{plan_id}", timeout=10,
                       headers={"Authorization": f"Bearer {key}"}).json()["status"]
    assert status == "draft"
    page.get_by_role("button", name="驳回").click()
    with page.expect_navigation(timeout=30_000, wait_until="load"):
        dialog.get_by_role("button", name="确认").click()
    assert "已驳回" in page.locator("#gm-review").inner_text()
    assert page.get_by_role("button", name="应用").is_disabled()
    assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)
