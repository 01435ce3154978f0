"""The 数字驾驶舱 (/map/cockpit) in a real headless Chromium with no network: a person logs in,
types a date range and drills from 街道 to 社区 to 网格 by clicking the map; the figures shown
at each step equal ``/api/v1/kpis`` for that region, ECharts draws from gridmap's own copy.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from gis.core.settings import Settings
from tests.e2e.live import MAP_OBJECT, PYTESTMARK, offline_page, serve_demo_with_key

pytestmark = PYTESTMARK
PERIOD = {"from": "2026-09-01", "to": "2026-10-31"}
COMMUNITY = "320706013004"


@pytest.fixture(scope="module")
def live_demo(demo_engine: Engine, base_settings: Settings) -> Iterator[tuple[str, str]]:
    """(base URL, viewer key without a region limit) over the demo district."""
    with serve_demo_with_key(demo_engine, base_settings, role="viewer",
                             label="cockpit page") as (url, key):
        yield url, key


def _point(engine: Engine, code: str) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_Y(p) AS lat, ST_X(p) AS lon FROM (SELECT "
                                "ST_PointOnSurface(geom) AS p FROM region WHERE code = :c) s"),
                           {"c": code}).one()
    return row.lat, row.lon


def _click_map(page, lat: float, lon: float) -> None:  # type: ignore[no-untyped-def]
    page.evaluate(f"""() => new Promise(done => {{
        const map = {MAP_OBJECT};
        const check = () => map._animatingZoom || (map._panAnim && map._panAnim._inProgress)
            ? setTimeout(check, 50) : setTimeout(done, 300);
        check();
    }})""")
    point = page.evaluate("(() => { const m = " + MAP_OBJECT + ";"
                          f"const p = m.latLngToContainerPoint([{lat}, {lon}]);"
                          "const r = m.getContainer().getBoundingClientRect();"
                          "return [p.x + r.left, p.y + r.top]; })()")
    page.mouse.click(*point)


def _shown(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#gm-kpis dd')].map(d => [d.dataset.kpi, d.textContent]))"""))


def _expected(url: str, key: str, **query: str) -> dict[str, str]:
    answer = httpx.get(f"{url}/api/v1/kpis", params={**PERIOD, **query},
                       headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
    total = answer["total"]

    def share(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.2f} %"
    return {"events": f"{total['events']} 件", "closed": f"{total['closed']} 件",
            "on_time_rate": share(total["on_time_rate"]),
            "mean_hours_to_close": f"{total['mean_hours_to_close']:.2f} 小时",
            "satisfaction_rate": share(total["satisfaction_rate"]),
            "overdue": f"{total['overdue']} 件", "escalated": f"{total['escalated']} 件"}


def test_cockpit_drills_from_subdistrict_to_grid(browser, live_demo,  # type: ignore[no-untyped-def]
                                                 demo_engine: Engine) -> None:
    url, key = live_demo
    with offline_page(browser, width=1400, height=900) as (page, offline):
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/map/login?next=/map/cockpit", wait_until="load")
        page.get_by_label("API 密钥").fill(key)
        with page.expect_navigation(url="**/map/cockpit", wait_until="load"):
            page.get_by_role("button", name="登录").click()
        status = page.get_by_role("status")
        status.filter(has_text="统计期间").wait_for(timeout=20_000)
        page.get_by_label("开始日期").fill(PERIOD["from"])
        page.get_by_label("结束日期").fill(PERIOD["to"])
        page.get_by_role("button", name="查询").click()
        status.filter(has_text=f"{PERIOD['from']} 至 {PERIOD['to']}（街道）").wait_for()
        assert _shown(page) == _expected(url, key, level="subdistrict")
        assert page.locator("canvas").count() >= 3  # ECharts drew its three charts
        assert page.get_by_label("图例").get_by_text("按期结案率").is_visible()

        _click_map(page, *_point(demo_engine, "320706013000"))
        status.filter(has_text="（社区）").wait_for()
        assert _shown(page) == _expected(url, key, level="community", region="320706013000")

        _click_map(page, *_point(demo_engine, COMMUNITY))
        status.filter(has_text="（网格）").wait_for()
        assert _shown(page) == _expected(url, key, level="grid", region=COMMUNITY)
        assert page.locator("#gm-units tr").count() >= 5  # the community's grids, by name
        href = page.get_by_role("link", name="导出Excel").get_attribute("href")
        assert f"region={COMMUNITY}" in str(href) and "from=2026-09-01" in str(href)
        assert console == [] and offline.errors == [] and offline.failed == []
