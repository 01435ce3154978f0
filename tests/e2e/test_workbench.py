"""The planner's task on the workbench (/map/plans) in a real headless Chromium, with the mouse:
pick 孔望社区, 生成方案 (balance), move one building, 撤销 it, split a grid with a drawn line,
应用 after the confirmation; then the database holds the applied grids.

A committed demo district of its own (the plan is applied for real), uvicorn in a thread,
every non-loopback request blocked, page errors and console errors failing the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.e2e.live import PYTESTMARK, offline_page, serve

pytestmark = PYTESTMARK

KONGWANG = "320706013003"
PROPOSED_MAP = ("Object.values(window).find(v => v instanceof L.Map "
                "&& v.getContainer().querySelector('.leaflet-draw'))")


@pytest.fixture(scope="module")
def live_demo(base_settings: Settings) -> Iterator[tuple[str, Engine, str]]:
    """(base URL, engine, planner key of the demo subdistrict) over a committed demo."""
    from gis import demo

    engine = dbs.migrated_database(base_settings, "e2e_workbench")
    try:
        demo.load_demo(engine, seed=42)
        with Session(engine) as session:
            key = keys.create_key(session, role="planner", region_code="320706013000")
            session.commit()
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, engine, key
    finally:
        dbs.drop_database(base_settings, engine)


def _one(engine: Engine, sql: str, **params: object):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def _building_to_move(engine: Engine, plan_id: int):  # type: ignore[no-untyped-def]
    """A building of the plan next to another proposed grid: code, point, from and to seq."""
    return _one(engine, """
        SELECT b.code, ST_X(ST_PointOnSurface(b.geom)) AS lon,
               ST_Y(ST_PointOnSurface(b.geom)) AS lat, pg.seq AS from_seq, o.seq AS to_seq
        FROM plan_building pb JOIN building b ON b.id = pb.building_id
        JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        JOIN plan_grid o ON o.plan_id = pb.plan_id AND o.id <> pg.id
             AND ST_Intersects(o.geom, pg.geom) AND ST_DWithin(o.geom, b.geom, 0.0003)
        WHERE pb.plan_id = :p AND b.households > 0
        ORDER BY ST_Distance(o.geom, b.geom), b.code LIMIT 1""", p=plan_id)


def _seq_of(engine: Engine, plan_id: int, code: str) -> int:
    return int(_one(engine, """
        SELECT pg.seq FROM plan_building pb JOIN building b ON b.id = pb.building_id
        JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        WHERE pb.plan_id = :p AND b.code = :c""", p=plan_id, c=code)[0])


def _click_at(page, lat: float, lon: float) -> None:  # type: ignore[no-untyped-def]
    """A mouse click on the proposed map at ``lat``/``lon`` (EPSG:4326)."""
    x, y = page.evaluate(f"(() => {{ const m = {PROPOSED_MAP};"
                         f"const p = m.latLngToContainerPoint([{lat}, {lon}]);"
                         "const r = m.getContainer().getBoundingClientRect();"
                         "return [p.x + r.left, p.y + r.top]; })()")
    page.mouse.click(x, y)


def _reloaded(page, click) -> None:  # type: ignore[no-untyped-def]
    """Run ``click`` and wait for the page it reloads, drawing tools ready again."""
    try:
        with page.expect_navigation(timeout=60_000, wait_until="load"):
            click()
    except Exception:
        status = page.locator("[role=status]").all_inner_texts()
        raise AssertionError(f"no reload; the page says {status}") from None
    page.wait_for_selector(".leaflet-draw-toolbar", state="attached", timeout=15_000)


def _log_in_and_pick(page, url: str, key: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/map/plans", wait_until="load")
    if "/map/login" in page.url:  # a planner logs in once; no key on the workbench itself
        page.fill("#key", key)
        with page.expect_navigation(url="**/map/plans*", wait_until="load"):
            page.click("button[type=submit]")
    with page.expect_navigation(url=f"**scope={KONGWANG}*", wait_until="load"):
        page.get_by_label("社区/街道").select_option(label="孔望社区")
    assert "户数超出范围的网格" in page.locator(".gm-bench").inner_text()


def _move_and_undo(page, engine: Engine, plan_id: int) -> None:  # type: ignore[no-untyped-def]
    b = _building_to_move(engine, plan_id)
    page.evaluate(f"{PROPOSED_MAP}.setView([{b.lat}, {b.lon}], 19, {{animate: false}})")
    _click_at(page, b.lat, b.lon)
    assert page.locator("#gm-selected").inner_text() == "已选 1 栋"
    page.get_by_label("网格#", exact=True).fill(str(b.to_seq))
    _reloaded(page, page.get_by_role("button", name="把选中建筑移入").click)
    assert _seq_of(engine, plan_id, b.code) == b.to_seq
    assert "可撤销 1 步" in page.locator("#gm-review").inner_text()
    _reloaded(page, page.get_by_role("button", name="撤销").click)
    assert _seq_of(engine, plan_id, b.code) == b.from_seq
    assert page.get_by_role("button", name="撤销").is_disabled()


def _split(page, engine: Engine, plan_id: int) -> None:  # type: ignore[no-untyped-def]
    """Draw a north-south line across the plan's biggest grid with the line tool."""
    g = _one(engine, """
        SELECT seq, ST_X(ST_PointOnSurface(geom)) AS x, ST_YMin(geom) AS y0,
               ST_YMax(geom) AS y1, ST_XMin(geom) AS x0, ST_XMax(geom) AS x1
        FROM plan_grid WHERE plan_id = :p ORDER BY ST_Area(geom) DESC LIMIT 1""", p=plan_id)
    before = int(_one(engine, "SELECT count(*) FROM plan_grid WHERE plan_id = :p",
                      p=plan_id)[0])
    pad = (g.y1 - g.y0) * 0.05
    page.evaluate(f"{PROPOSED_MAP}.fitBounds([[{g.y0 - 3 * pad}, {g.x0}], "
                  f"[{g.y1 + 3 * pad}, {g.x1}]], {{animate: false}})")
    page.get_by_role("link", name="画线：沿线拆分网格").click()
    for lat in (g.y1 + pad, g.y0 - pad):
        _click_at(page, lat, g.x)
        page.wait_for_timeout(500)  # Leaflet.draw ignores a vertex clicked in a hurry
    _reloaded(page, page.get_by_role("link", name="完成").click)
    assert int(_one(engine, "SELECT count(*) FROM plan_grid WHERE plan_id = :p",
                    p=plan_id)[0]) == before + 1


def _apply(page, engine: Engine, plan_id: int) -> None:  # type: ignore[no-untyped-def]
    metrics = _one(engine, "SELECT metrics FROM plan WHERE id = :p", p=plan_id)[0]
    page.get_by_role("button", name="应用").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    listed = dialog.inner_text()
    for key in ("grids_retired", "grids_new", "buildings_moved", "residents_reassigned"):
        assert page.locator(f"#gm-confirm-apply [data-metric={key}]").inner_text() == \
            str(metrics[key]), key
    assert f"新建网格：{metrics['grids_new']}" in listed
    with page.expect_navigation(timeout=60_000, wait_until="load"):
        dialog.get_by_role("button", name="确认").click()
    assert "已应用" in page.locator("#gm-review").inner_text()
    plan_grids = int(_one(engine, "SELECT count(*) FROM plan_grid WHERE plan_id = :p",
                          p=plan_id)[0])
    current = _one(engine, """
        SELECT count(*) AS n,
               count(*) FILTER (WHERE valid_from > now() - interval '30 minutes') AS new
        FROM grid WHERE community_code = :c AND theme = 'unified' AND valid_to IS NULL""",
                   c=KONGWANG)
    assert current.n == plan_grids and current.new == metrics["grids_new"]
    assert _one(engine, "SELECT status FROM plan WHERE id = :p", p=plan_id)[0] == "applied"


def test_planner_balances_kongwang_on_one_page(browser, live_demo):  # type: ignore[no-untyped-def]
    url, engine, key = live_demo
    with offline_page(browser, width=1366, height=768) as (page, offline):
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        _log_in_and_pick(page, url, key)
        with page.expect_navigation(url="**plan=*", timeout=120_000, wait_until="load"):
            page.get_by_role("button", name="生成方案").click()
        page.wait_for_selector(".leaflet-draw-toolbar", state="attached", timeout=15_000)
        plan_id = int(page.locator("#gm-review").get_attribute("data-plan") or 0)
        assert page.locator("#gm-plans").inner_text().count("草稿") >= 1
        assert page.evaluate("L.drawLocal.draw.toolbar.finish.text") == "完成"
        assert page.locator(".leaflet-control-scale-imperial").count() == 0
        _move_and_undo(page, engine, plan_id)
        _split(page, engine, plan_id)
        _apply(page, engine, plan_id)
        page.screenshot(path="/tmp/gridmap-e2e-workbench.png")
        assert page.evaluate("sessionStorage.length") == 0  # no key kept in the page
        assert offline.errors == [] and offline.failed == [] and console == [], (
            offline.errors, offline.failed, console)
