"""The printable plan report: current and proposed grids on two maps side by side, then the
totals, the per grid table, the compounds split and a sign-off block; A4 landscape in print.

Offline like every page (page.render); grids are EPSG:4490, drawn as lon/lat.
"""

from __future__ import annotations

import html
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from gis.access.callers import Caller
from gis.plans.workbook import (
    COMPOUND_COLUMNS,
    GRID_COLUMNS,
    KIND_LABELS,
    TOTAL_LABELS,
    options_text,
)
from layers import elements, page, plans, shell

MAP_HEIGHT_PX = 420
STYLE = f"""<style>
body.gm-report {{ overflow: auto !important; height: auto !important; }}
body.gm-report .folium-map {{ top: 90px !important; height: {MAP_HEIGHT_PX}px !important; }}
body.gm-report .gm-title {{ top: 48px; }}
.gm-report-body {{ position: absolute; top: {MAP_HEIGHT_PX + 100}px; left: 0; right: 0;
  padding: 0 16px 24px; font-size: 13px; }}
.gm-report-body table {{ border-collapse: collapse; margin: 6px 0 14px; }}
.gm-report-body th, .gm-report-body td {{ border: 1px solid #999; padding: 2px 6px; }}
.gm-map-label {{ position: absolute; top: 96px; z-index: 1001; font-weight: bold;
  background: rgba(255, 255, 255, 0.85); padding: 2px 6px; }}
@page {{ size: A4 landscape; margin: 10mm; }}
@media print {{
  .gm-shell, .gm-noprint, .leaflet-control-zoom, .leaflet-control-layers {{ display: none; }}
  body.gm-report .folium-map {{ top: 30px !important; }}
  .gm-map-label {{ top: 36px; }}
  .gm-report-body {{ top: {MAP_HEIGHT_PX + 40}px; }}
  .gm-report-body table {{ page-break-inside: auto; }}
  .gm-report-body tr {{ page-break-inside: avoid; }}
}}
</style>"""


STATUS_LABELS = {"draft": "草案", "applied": "已应用", "rejected": "已驳回"}


def table_html(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> str:
    """An HTML table of ``rows`` with the Chinese ``columns`` headers (values escaped)."""
    if not rows:
        return "<p>无</p>"
    frame = pd.DataFrame(rows).reindex(columns=[k for k, _ in columns])
    if "flag" in frame:
        frame["flag"] = frame["flag"].map(plans.FLAG_LABELS).fillna(frame["flag"])
    frame = frame.map(lambda v: "、".join(map(str, v)) if isinstance(v, list) else (
        "是" if v is True else "否" if v is False else "" if v is None else v))
    frame.columns = [label for _, label in columns]
    return frame.to_html(index=False, border=0, na_rep="", classes="gm-table")


def body_html(sheet: dict[str, Any]) -> str:
    """Header, totals, grids, split compounds and the sign-off block."""
    totals = "".join(f"<tr><th>{html.escape(TOTAL_LABELS.get(k, k))}</th><td>{v}</td></tr>"
                     for k, v in sheet["totals"].items())
    kind = KIND_LABELS.get(sheet["kind"], sheet["kind"])
    status = STATUS_LABELS.get(sheet["status"], sheet["status"])
    return (
        f"<div class='gm-report-body'><h2>网格调整方案 {sheet['id']} 报告（{html.escape(kind)}，"
        f"{html.escape(status)}）</h2><p>范围：{html.escape(sheet['scope_name'] or '')}"
        f" ({sheet['scope_code']})；编制人：{html.escape(sheet['created_by'] or '')}；编制时间："
        f"{sheet['created_at']}（北京时间）；{html.escape(sheet['crs_note'])}</p>"
        f"<p>编制条件：{html.escape(options_text(sheet['options']))}</p>"
        f"<p class='gm-noprint'><button type='button' onclick='window.print()'>打印</button> "
        f"<a href='/api/v1/plans/{sheet['id']}/report.xlsx'>下载 Excel (.xlsx)</a></p>"
        f"<h3>汇总</h3><table>{totals}</table><h3>各网格</h3>"
        + table_html(sheet["grids"], GRID_COLUMNS)
        + "<h3>被拆分的小区</h3>" + table_html(sheet["split_compounds"], COMPOUND_COLUMNS)
        + "<h3>审核</h3><p>审核意见：</p><p>街道（盖章）：　　　　　　　签字：　　　　　　　"
          "日期：</p></div>")


def _maps(current: gpd.GeoDataFrame, proposed: gpd.GeoDataFrame,
          title: str) -> tuple[folium.Map, folium.Map]:
    bounds = page.frame_bounds(current, proposed)
    left = page.base_map(bounds, title=title)
    left.width, left.left = (50.0, "%"), (0.0, "%")
    right = folium.Map(location=left.location, zoom_start=13, tiles=None, width="50%",
                       left="50%", position="absolute", control_scale=False, max_zoom=20)
    right.add_child(page.ScaleBar())
    left.get_root().add_child(right)
    if bounds is not None:
        right.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    plans.grid_layer(current, name="现状统一网格 current").add_to(left)
    plans.number_layer(current, plans.short_code(current["code"]), name="网格编号",
                       css_class="gm-grid-label").add_to(left)
    plans.grid_layer(proposed.assign(code=proposed["source_grid_code"].fillna(
        "新#" + proposed["seq"].astype(str))), name="方案网格 proposed").add_to(right)
    plans.number_layer(proposed, "#" + proposed["seq"].astype(str), name="网格序号",
                       css_class="gm-grid-label").add_to(right)
    right.add_child(plans.SyncViews(left, right))
    return left, right


def report_page(sheet: dict[str, Any], maps: dict[str, gpd.GeoDataFrame], caller: Caller, *,
                csrf: str | None = None) -> str:
    """The printable report page for ``gis.plans.report.plan_sheet`` and ``report_maps``."""
    left, _ = _maps(maps["current"], maps["proposed"], f"网格调整方案 {sheet['id']} 报告")
    shell.add_shell(left, caller, active="/map/plans", csrf=csrf)
    figure = cast(Figure, left.get_root())
    figure.header.add_child(elements.RawHtml(STYLE), name="gm_report_style")
    figure.html.add_child(elements.RawHtml(
        "<div class='gm-map-label' style='left:52px'>现状 current（网格编码末三位）</div>"
        "<div class='gm-map-label' style='left:calc(50% + 52px)'>方案 proposed（网格序号）</div>"
        + body_html(sheet) + "<script>document.body.classList.add('gm-report')</script>"),
        name="gm_report_body")
    return page.render(left)
