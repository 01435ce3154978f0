"""The dispatcher's list page (``/map/dispatch/list``): open, overdue and 待定位 events with
filters (grid picked by name, community, state, category, channel, report dates), overdue
first, paged; each row links to its case page and flies the map to it. The map shows every
matching event (up to ``MAP_MAX``) as filled dots coloured by state, overdue red, clustered
when many, with a legend and a heat map to switch on; dots and heat map come after load
(``/map/layers/events``), so the page's HTML holds one page of the table only. EPSG:4490
data drawn as lon/lat; Chinese labels, Beijing time.
"""

from __future__ import annotations

import html
from typing import Any, cast
from urllib.parse import urlencode

import folium
import geopandas as gpd
import pandas as pd
from branca.element import CssLink, Figure, JavascriptLink
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.core import clock
from gis.events import categories, labels, queue, workflow
from gis.grids import registry
from layers import catalogue, deferred, page, shell
from layers import events as event_layers

PAGE_SIZE = 50
MAP_MAX = 5000
"""Most events drawn on the map at once (the table pages through all of them)."""
LIST_JS = "/static/gridmap/dispatch_list.js"
LIST_CSS = "/static/gridmap/dispatch_list.css"
URL = "/map/dispatch/list"
LAYERS_URL = "/map/layers/events"


def _options(choices: list[tuple[str, str]], current: str | None, blank: str | None) -> str:
    head = f'<option value="">{html.escape(blank)}</option>' if blank is not None else ""
    return head + "".join(
        f'<option value="{html.escape(v)}"{" selected" if v == current else ""}>'
        f"{html.escape(t)}</option>" for v, t in choices)


def _select(name: str, label: str, choices: list[tuple[str, str]], current: str | None,
            blank: str | None = "全部") -> str:
    return (f'<span class="gm-field"><label for="gm-f-{name}">{html.escape(label)}</label>'
            f'<select id="gm-f-{name}" name="{name}">{_options(choices, current, blank)}'
            "</select></span>")


def _picks(picks: dict[str, pd.DataFrame]) -> dict[str, list[tuple[str, str]]]:
    """The grid picker's (code, "name（community）") and the community picker's choices."""
    g, c = picks["grids"], picks["communities"]
    names = g["name"].astype(str) + "（" + g["community_name"].fillna("—").astype(str) + "）"
    return {"grid": list(zip(g["code"].astype(str), names, strict=True)),
            "community": list(zip(c["code"].astype(str), c["name"].astype(str), strict=True))}


def _filters(wanted: queue.QueueFilter) -> str:
    """The filter form; the grid and community pickers hold the chosen value only, their
    choices (which grow with the region) come after load (``list_layers``' panels)."""
    grids = [(wanted.grid, wanted.grid)] if wanted.grid else []
    communities = [(wanted.community, wanted.community)] if wanted.community else []
    dates = "".join(
        f'<span class="gm-field"><label for="gm-f-{name}">{label}</label><input type="date" '
        f'id="gm-f-{name}" name="{name}" value="{value.isoformat() if value else ""}"></span>'
        for name, label, value in (("since", "开始日期", wanted.since),
                                   ("until", "结束日期", wanted.until)))
    return (f'<form method="get" action="{URL}" class="gm-filters">'
            + _select("view", "视图", list(queue.VIEWS.items()), wanted.view, None)
            + _select("grid", "网格", grids, wanted.grid)
            + _select("community", "社区", communities, wanted.community)
            + _select("status", "状态", list(workflow.STATE_LABELS.items()), wanted.status)
            + _select("category", "类别", [(c.code, c.label_zh) for c in categories.CATEGORIES],
                      wanted.category)
            + _select("channel", "渠道", list(labels.CHANNEL_LABELS.items()), wanted.channel)
            + dates + '<button type="submit">筛选</button>'
            f'<a href="{URL}">清除筛选</a></form>')


def _rows(frame: gpd.GeoDataFrame) -> str:
    shown = frame.assign(reported=clock.local_text_series(frame["reported_at"]),
                         due=clock.local_text_series(frame["due_at"]))
    head = ("<tr><th>事件编号</th><th>类别</th><th>状态</th><th>渠道</th><th>网格</th>"
            "<th>社区</th><th>上报时间</th><th>处置时限</th><th>超期</th><th>地图</th></tr>")
    rows = []
    for row in shown.to_dict("records"):  # one page of at most PAGE_SIZE rows
        code = html.escape(row["code"])
        point = row["geom"]
        fly = (f'<button type="button" class="gm-fly" data-lat="{point.y:.6f}" '
               f'data-lon="{point.x:.6f}" aria-label="在地图上定位 {code}">定位</button>'
               if point is not None and not point.is_empty else "待定位")
        late = '<b class="gm-late">超期</b>' if row["overdue"] else ""
        cells = [f'<a href="/map/dispatch?event={code}">{code}</a>', row["category_label"],
                 row["status_label"], row["channel_label"], row["grid_name"] or "—",
                 row["community_name"] or "—", row["reported"], row["due"]]
        rows.append("<tr>" + "".join(f"<td>{c if i == 0 else html.escape(str(c))}</td>"
                                     for i, c in enumerate(cells))
                    + f"<td>{late}</td><td>{fly}</td></tr>")
    return f'<table class="gm-table gm-queue">{head}{"".join(rows)}</table>'


def _pager(wanted: queue.QueueFilter, page_no: int, total: int) -> str:
    pages = max(1, -(-total // PAGE_SIZE))
    query = {k: v for k, v in vars(wanted).items() if v is not None}

    def link(n: int, text: str) -> str:
        href = f"{URL}?{urlencode({**query, 'page': n})}"
        return f'<a href="{html.escape(href)}">{text}</a>'

    prev = link(page_no - 1, "上一页") if page_no > 1 else ""
    nxt = link(page_no + 1, "下一页") if page_no < pages else ""
    return f'<p class="gm-pager">{prev} 第 {page_no} / {pages} 页 {nxt}</p>'


def render_dispatch_list(session: Session, caller: Caller, wanted: queue.QueueFilter, *,
                         page_no: int = 1, basemap_url: str | None = None,
                         csrf: str | None = None) -> str:
    """The list page (HTML, offline-ready) of events matching ``wanted`` in the caller's
    region, page ``page_no`` of the table (``PAGE_SIZE`` rows); the map's dots and heat map
    come after load from ``/map/layers/events`` (``list_layers``)."""
    rows = queue.list_queue(session, wanted, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
                            scope=caller.scope)
    total = int(rows.attrs["number_matched"])
    late = int(rows["overdue_matched"].iloc[0]) if len(rows) else 0
    title = f"{queue.VIEWS[wanted.view]}事件清单"
    fmap = page.base_map(registry.map_extent(session, scope=caller.scope), title=title,
                         basemap_url=basemap_url)
    # Leaflet.markercluster needs the map's own maxZoom (there is no tile layer to give one)
    fmap.options["max_zoom"] = 20
    dots = event_layers.DeferredCluster()
    heat = event_layers.event_heat_layer(None, show=False)
    for layer in (dots, heat):
        layer.add_to(fmap)
    fmap.add_child(deferred.DeferredSource(f"{LAYERS_URL}?{urlencode(_query(wanted))}",
                                           {"events": dots, "heat": heat}))
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    page.add_legend(fmap, [catalogue.Layer("events", "事件状态", "", "point", (), 0, 20,
                                           legend=event_layers.STATE_LEGEND)])
    summary = f"<p>共 {total} 件，其中超期 {late} 件。</p>"
    body = _rows(rows) if len(rows) else "<p>没有符合条件的事件。</p>"
    panel = (f'<details open class="gm-queue-box"><summary>{html.escape(title)}</summary>'
             f"{_filters(wanted)}{summary}"
             f"{body}{_pager(wanted, page_no, total)}</details>")
    fmap.add_child(page.Panel(panel, position="topleft", css_class="gm-panel gm-list-panel"))
    shell.add_shell(fmap, caller, active="/map/dispatch", csrf=csrf)
    figure = cast(Figure, fmap.get_root())
    figure.header.add_child(CssLink(LIST_CSS), name="gm_list_css")
    figure.header.add_child(JavascriptLink(LIST_JS), name="gm_list_js")
    return page.render(fmap)


def list_layers(session: Session, caller: Caller, wanted: queue.QueueFilter) -> dict[str, Any]:
    """The list map's dots (``event_layers.event_rows``) and heat points of every event
    matching ``wanted`` in the caller's region, up to ``MAP_MAX`` (overdue first), and the
    choices of the grid and community pickers (options HTML by element id)."""
    mapped = queue.list_queue(session, wanted, limit=MAP_MAX, scope=caller.scope)
    picks = _picks(queue.queue_choices(session, scope=caller.scope))
    panels = {"gm-f-grid": _options(picks["grid"], wanted.grid, "全部"),
              "gm-f-community": _options(picks["community"], wanted.community, "全部")}
    return {"layers": {"events": event_layers.event_rows(mapped),
                       "heat": event_layers.heat_points(mapped)}, "panels": panels}


def _query(wanted: queue.QueueFilter) -> dict[str, str]:
    return {k: str(v) for k, v in vars(wanted).items() if v is not None}
