"""The plan report as an Excel workbook (.xlsx, openpyxl) with Chinese headers.

Sheets: 汇总 (the plan and its totals), 网格 (one row per proposed grid), 拆分小区 (compounds
the plan splits) and, for a comparison, 方案对比. Pure: a report dict in, bytes out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

GRID_COLUMNS = (
    ("seq", "网格序号"), ("source_grid_code", "原网格编码 (保留)"), ("community_name", "社区"),
    ("kind", "类型"), ("households", "户数 (户)"), ("residents", "人口 (人)"),
    ("buildings", "建筑 (栋)"), ("area_m2", "面积 (m²)"), ("area_km2", "面积 (km²)"),
    ("perimeter_m", "周长 (m)"), ("polsby_popper", "紧凑度 Polsby-Popper"),
    ("hull_ratio", "凸包面积比"), ("reock", "Reock 指数"), ("parts", "多边形块数"),
    ("moved_households", "调入户数 (户)"), ("moved_buildings", "调入建筑 (栋)"),
    ("flag", "提示"))
COMPOUND_COLUMNS = (
    ("community_code", "社区编码"), ("compound", "小区"), ("grids", "分入网格数"),
    ("seqs", "网格序号"), ("households", "户数 (户)"), ("buildings", "建筑 (栋)"),
    ("grids_before", "现状所在网格数"), ("fits_one_grid", "户数可容于一个网格"))
TOTAL_LABELS = {
    "grids": "网格数", "grids_new": "新网格数", "grids_in_range": "户数在范围内的网格",
    "grids_retired": "撤销的现有网格", "households": "户数 (户)", "residents": "人口 (人)",
    "buildings": "建筑 (栋)", "min_households": "最少户数", "max_households": "最多户数",
    "std_households": "户数标准差", "area_km2": "面积 (km²)",
    "mean_polsby_popper": "平均紧凑度 Polsby-Popper", "mean_hull_ratio": "平均凸包面积比",
    "mean_reock": "平均 Reock 指数", "multipart_grids": "多块网格数",
    "buildings_moved": "调整建筑 (栋)", "households_moved": "调整户数 (户)",
    "residents_moved": "调整人口 (人)", "split_compounds": "被拆分的小区",
    "split_compounds_avoidable": "被拆分但户数可容于一个网格的小区"}
KIND_LABELS = {"balance": "均衡调整", "merge": "多格合一"}


def options_text(options: dict) -> str:
    """The plan's drawing options in words: barriers and load weights."""
    weights = options.get("weights") or {}
    used = {k: v for k, v in weights.items() if v}
    load = ("户数" if not used else "户数 + " + " + ".join(
        f"{v} × {WEIGHT_LABELS.get(k, k)}" for k, v in used.items()) + "（范围按折算户数计）")
    barriers = "道路（车行道以上）、铁路和水域为界" if options.get("barriers") else "水域为界"
    return f"负荷：{load}；分界：{barriers}"


WEIGHT_LABELS = {"events_per_month": "每月事件数", "special": "特殊人群人数",
                 "area_ha": "面积（公顷）"}


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _table(sheet: Worksheet, rows: Sequence[dict], columns: Sequence[tuple[str, str]]) -> None:
    sheet.append([label for _, label in columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:  # openpyxl writes row by row
        sheet.append([_cell(row.get(key)) for key, _ in columns])
    for i, (_, label) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, len(label) * 2)


def _summary(sheet: Worksheet, report: dict) -> None:
    sheet.title = "汇总"
    scope = f"{report['scope_name']} ({report['scope_code']})"
    head = [("方案编号", report["id"]),
            ("方案类型", KIND_LABELS.get(report["kind"], report["kind"])),
            ("状态", report["status"]), ("范围", scope),
            ("编制人", report["created_by"]), ("编制时间 (北京时间)", report["created_at"]),
            ("坐标系", report["crs_note"]), ("编制条件", options_text(report["options"]))]
    for label, value in head:
        sheet.append([label, value])
    sheet.append([])
    for key, value in report["totals"].items():
        sheet.append([TOTAL_LABELS.get(key, key), value])
    sheet.append([])
    sheet.append(["审核意见", ""])
    sheet.append(["街道签字", ""])
    sheet.append(["日期", ""])
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 60


def workbook_from_report(report: dict, comparison: dict | None = None) -> bytes:
    """The .xlsx bytes of ``gis.plans.report.plan_sheet``'s ``report`` (and a comparison)."""
    book = Workbook()
    _summary(book.worksheets[0], report)
    _table(book.create_sheet("网格"), report["grids"], GRID_COLUMNS)
    _table(book.create_sheet("拆分小区"), report["split_compounds"], COMPOUND_COLUMNS)
    if comparison is not None:
        rows = [{**r, "measure": TOTAL_LABELS.get(r["measure"], r["measure"])}
                for r in comparison["rows"]]
        _table(book.create_sheet("方案对比"), rows, (
            ("measure", "指标"), ("a", f"方案 {comparison['a']['id']}"),
            ("b", f"方案 {comparison['b']['id']}"), ("difference", "差值 (后者减前者)")))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
