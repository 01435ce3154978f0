"""The 数字驾驶舱 (``/map/cockpit``): event KPIs of 街道, 社区 and 网格 on a map, with charts.

The page is a folium map (units coloured by 按期结案率, with a legend) beside a panel of
figures and Apache ECharts charts; ``/static/gridmap/cockpit.js`` reads ``/api/v1/kpis``,
``/api/v1/regions`` and ``/api/v1/grids`` with the login cookie and draws them, so the page
itself holds no data and a click on a unit drills down (街道 → 社区 → 网格) without a reload.
ECharts comes from npm's ``echarts`` (Apache-2.0), served by gridmap (``assets.ECHARTS_DIR``).
Unit geometry is EPSG:4490 lon/lat as the API answers it.
"""

from __future__ import annotations

import json
from typing import cast

from branca.element import CssLink, Figure

from gis.access.callers import Caller
from gis.events import categories, workflow
from layers import assets, elements, page, shell

ECHARTS_JS = f"{assets.ECHARTS_URL}/echarts.min.js"
COCKPIT_JS = f"{assets.STATIC}/gridmap/cockpit.js"
COCKPIT_CSS = f"{assets.STATIC}/gridmap/cockpit.css"
EXPORT_URL = "/map/cockpit/export.xlsx"


PANEL = """
<aside class="gm-cockpit" aria-label="驾驶舱指标">
  <form class="gm-cockpit-range" id="gm-cockpit-range">
    <label>开始日期 <input type="date" name="from" id="gm-from"></label>
    <label>结束日期 <input type="date" name="to" id="gm-to"></label>
    <label>趋势 <select name="trend" id="gm-trend">
      <option value="day">按日</option><option value="week">按周</option></select></label>
    <button type="submit">查询</button>
  </form>
  <nav class="gm-crumbs" aria-label="层级"></nav>
  <h2 class="gm-scope" id="gm-scope"></h2>
  <p class="gm-cockpit-status" role="status" id="gm-cockpit-status">加载中…</p>
  <dl class="gm-kpis" id="gm-kpis"></dl>
  <section aria-label="趋势"><h3>事件趋势</h3><div class="gm-chart" id="gm-chart-trend"></div>
  </section>
  <section aria-label="类别"><h3>事件类别</h3><div class="gm-chart" id="gm-chart-category">
  </div></section>
  <section aria-label="渠道"><h3>来源渠道</h3><div class="gm-chart" id="gm-chart-channel">
  </div></section>
  <section aria-label="下级单位"><h3 id="gm-units-title">下级单位</h3>
    <table class="gm-units"><thead><tr><th>单位</th><th>事件(件)</th><th>按期结案率</th>
    <th>超期(件)</th></tr></thead><tbody id="gm-units"></tbody></table></section>
  <p><a id="gm-export" href="{export}" download>导出Excel</a></p>
</aside>
"""


def config(caller: Caller) -> dict:
    """What cockpit.js needs besides the API: labels for people and where to start."""
    return {"scope": caller.scope, "export": EXPORT_URL,
            "categories": categories.CATEGORY_LABELS, "channels": categories.CHANNEL_LABELS,
            "states": workflow.STATE_LABELS}


def render_cockpit(caller: Caller, *, basemap_url: str | None = None,
                   csrf: str | None = None) -> str:
    """The cockpit page for ``caller`` (its KPIs come from the API, inside its region)."""
    fmap = page.base_map(None, title="数字驾驶舱", basemap_url=basemap_url)
    shell.add_shell(fmap, caller, active="/map/cockpit", csrf=csrf)
    figure = cast(Figure, fmap.get_root())
    figure.header.add_child(CssLink(COCKPIT_CSS), name="cockpit_css")
    figure.html.add_child(elements.RawHtml(PANEL.replace("{export}", EXPORT_URL)),
                          name="gm_cockpit")
    settings = json.dumps({"map": fmap.get_name(), **config(caller)}, ensure_ascii=False)
    safe = settings.replace("</", "<\\/")  # no "</script>" inside the JSON
    figure.html.add_child(elements.RawHtml(
        f'<script type="application/json" id="gm-cockpit-config">{safe}</script>'),
        name="gm_cockpit_config")
    figure.html.add_child(elements.RawHtml(
        "<script>document.body.classList.add('gm-cockpit-page')</script>"), name="gm_cp")
    # deferred: they run once the page is parsed, after the map's own script made the map
    for name, url in (("echarts_js", ECHARTS_JS), ("cockpit_js", COCKPIT_JS)):
        figure.header.add_child(elements.RawHtml(f'<script defer src="{url}"></script>'), name=name)
    return page.render(fmap)
