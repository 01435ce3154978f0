"""The planner's task on the workbench (/map/plans) in a real headless Chromium, with the mouse:
pick 孔望社区, 生成方案 (balance), move one building, 撤销 it, split a grid with a drawn line,
pick a grid worker for every new grid left without one, 应用 after the confirmation; then the
database agrees with the numbers shown before apply, every residential grid has a worker, no
not-closed event stays on a retired grid and every planned grid is one polygon.

A committed demo district of its own (the plan is applied for real), uvicorn in a thread,
every non-loopback request blocked, page errors and console errors failing the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
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


def _all(engine: Engine, sql: str, **params: object) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


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


def _pick_worker(page, seq: int) -> str:  # type: ignore[no-untyped-def]
    """Choose a worker for new grid #``seq`` in its labelled select (a free one if any);
    returns the worker code chosen."""
    select = page.get_by_label(f"网格员（#{seq}）", exact=True)
    options = select.locator("option")
    texts, values = options.all_inner_texts(), [options.nth(i).get_attribute("value")
                                                for i in range(options.count())]
    workers = [(t, v) for t, v in zip(texts, values, strict=True) if v]
    assert workers, f"no worker to pick for #{seq}: {texts}"
    code = next((v for t, v in workers if "空闲" in t), workers[0][1])
    _reloaded(page, lambda: select.select_option(value=code))
    return str(code)


def _staff(page, engine: Engine, plan_id: int) -> None:  # type: ignore[no-untyped-def]
    """Pick a worker for each new grid the panel marks as without one (unstaffed first); with
    none marked, change the worker of the first new grid. The panel then shows the pick as
    规划指定 and the plan keeps it."""
    panel = page.locator("#gm-staffing")
    assert "新网格的网格员" in panel.inner_text()
    marked = [int(s) for s in panel.locator("li.gm-unstaffed").evaluate_all(
        "els => els.map(e => e.getAttribute('data-seq'))")]
    unstaffed = {g["seq"] for g in _report(page, plan_id)["staffing"]["unstaffed"]}
    assert set(marked) == unstaffed  # the page marks exactly the report's gaps
    first = panel.locator("li[data-seq]").first.get_attribute("data-seq")
    todo, picked = (marked or [int(first or 0)]), {}
    for _ in range(30):  # a pick may take a carried worker from another grid: a few rounds
        if not todo:
            break
        seq = todo[0]
        picked[seq] = _pick_worker(page, seq)
        todo = [int(s) for s in page.locator("#gm-staffing li.gm-unstaffed").evaluate_all(
            "els => els.map(e => e.getAttribute('data-seq'))")]
    assert todo == [] and "无网格员 0 个" in page.locator("#gm-staffing").inner_text()
    chosen = dict(_all(engine, """
        SELECT p.seq::int, w.code FROM plan, jsonb_each_text(plan.params -> 'workers') p(seq, id)
        JOIN grid_worker w ON w.id = p.id::int WHERE plan.id = :p""", p=plan_id))
    for seq, code in picked.items():
        assert chosen.get(seq) == code, (seq, code, chosen)
        item = page.locator(f"#gm-staffing li[data-seq='{seq}']").inner_text()
        assert "规划指定" in item, item


def _report(page, plan_id: int) -> dict:  # type: ignore[no-untyped-def]
    """The plan report as the logged-in page reads it (login cookie)."""
    res = page.request.get(f"{page.url.split('/map')[0]}/api/v1/plans/{plan_id}")
    assert res.ok, res.status
    return dict(res.json())


def _state(engine: Engine) -> dict[str, pd.DataFrame]:
    """Buildings' and events' grids and the grids in force, to diff around an apply."""
    with engine.connect() as conn:
        return {"buildings": pd.read_sql(text("SELECT id, grid_id, households, residents "
                                              "FROM building"), conn).set_index("id"),
                "events": pd.read_sql(text("SELECT id, grid_id FROM event"), conn)
                .set_index("id"),
                "grids": pd.read_sql(text("SELECT id, code FROM grid WHERE valid_to IS NULL"),
                                     conn).set_index("id")}


def _changed(before: dict, after: dict) -> dict[str, int]:
    """What the database shows changed, under the names of the confirmation's figures."""
    def moved(key: str) -> pd.DataFrame:
        old, new = before[key]["grid_id"], after[key]["grid_id"]
        return before[key][old.fillna(-1).ne(new.reindex(old.index).fillna(-1))]
    buildings, g0, g1 = moved("buildings"), before["grids"], after["grids"]
    return {"grids_retired": int((~g0.index.isin(g1.index)).sum()),
            "grids_new": int((~g1.index.isin(g0.index)).sum()),
            "buildings_moved": len(buildings),
            "households_reassigned": int(buildings["households"].sum()),
            "residents_reassigned": int(buildings["residents"].sum()),
            "events_reassigned": len(moved("events"))}


def _apply(page, engine: Engine, plan_id: int) -> None:  # type: ignore[no-untyped-def]
    """应用 with the confirmation; the figures it shows are what the database shows after."""
    metrics = _one(engine, "SELECT metrics FROM plan WHERE id = :p", p=plan_id)[0]
    page.get_by_role("button", name="应用").click()
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    listed = dialog.inner_text()
    shown = {key: int(page.locator(f"#gm-confirm-apply [data-metric={key}]").inner_text())
             for key in ("grids_retired", "grids_new", "buildings_moved",
                         "households_reassigned", "residents_reassigned", "events_reassigned")}
    assert shown["grids_new"] == metrics["grids_new"] and shown["buildings_moved"] > 0
    assert "改变网格的未结案事件" in listed and "仍无网格员" not in listed
    assert page.locator("#gm-confirm-unstaffed").count() == 0  # so no confirm_unstaffed
    before = _state(engine)
    with page.expect_navigation(timeout=60_000, wait_until="load"):
        dialog.get_by_role("button", name="确认").click()
    assert "已应用" in page.locator("#gm-review").inner_text()
    assert _one(engine, "SELECT status FROM plan WHERE id = :p", p=plan_id)[0] == "applied"
    assert _changed(before, _state(engine)) == shown
    _check_database(engine, plan_id, before)


def _check_database(engine: Engine, plan_id: int, before: dict) -> None:
    """After apply: the plan's grids are Kongwang's, each staffed if residential, each one
    polygon; no not-closed event on a grid the plan retired."""
    plan_grids = int(_one(engine, "SELECT count(*) FROM plan_grid WHERE plan_id = :p",
                          p=plan_id)[0])
    current = _one(engine, """
        SELECT count(*) AS n,
               count(*) FILTER (WHERE kind = 'residential' AND NOT EXISTS (
                   SELECT 1 FROM grid_worker_grid wg WHERE wg.grid_id = g.id)) AS unstaffed,
               count(*) FILTER (WHERE ST_NumGeometries(ST_Multi(geom)) <> 1) AS pieces
        FROM grid g WHERE community_code = :c AND theme = 'unified' AND valid_to IS NULL""",
                   c=KONGWANG)
    assert current.n == plan_grids and current.unstaffed == 0 and current.pieces == 0
    assert _one(engine, """SELECT count(*) FROM plan_grid WHERE plan_id = :p
                           AND ST_NumGeometries(ST_Multi(geom)) <> 1""", p=plan_id)[0] == 0
    retired = [int(r[0]) for r in _all(engine, """SELECT id FROM grid WHERE id = ANY(:ids)
                                               AND valid_to IS NOT NULL""",
                                       ids=[int(i) for i in before["grids"].index])]
    assert retired
    stranded = _one(engine, """SELECT count(*) FROM event WHERE grid_id = ANY(:r)
                               AND gm_event_not_closed(status)""", r=retired)[0]
    assert stranded == 0


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
        _staff(page, engine, plan_id)
        _apply(page, engine, plan_id)
        page.screenshot(path="/tmp/gridmap-e2e-workbench.png")
        assert page.evaluate("sessionStorage.length") == 0  # no key kept in the page
        assert offline.errors == [] and offline.failed == [] and console == [], (
            offline.errors, offline.failed, console)
