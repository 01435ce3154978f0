"""KPI workbooks for people (数字驾驶舱 export): an Excel file with Chinese headers.

One sheet per view of the answer of ``gis.events.kpis.list_kpis``: 指标 (one row per unit,
units in the headers, shares as percentages formatted by Excel but stored as the same
fractions the API answers), 类别 and 渠道 (events per unit by Chinese category and channel
names), 趋势 (by day or week) and 说明 (period, level, region, export time in Beijing time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from io import BytesIO
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gis.core import clock
from gis.events import categories

LEVEL_NAMES: Final = {"subdistrict": "街道", "community": "社区", "grid": "网格"}
UNPLACED: Final = "未落地(待定位)"
KPI_COLUMNS: Final[tuple[tuple[str, str, str | None], ...]] = (
    # (answer key, header, Excel number format); shares stay fractions shown as percentages
    ("unit_code", "单位代码", None), ("unit_name", "单位名称", None),
    ("events", "事件数(件)", "0"), ("closed", "结案数(件)", "0"),
    ("closed_on_time", "按期结案数(件)", "0"), ("on_time_rate", "按期结案率(%)", "0.0%"),
    ("mean_hours_to_close", "平均结案时长(小时)", "0.00"), ("rated", "评价数(件)", "0"),
    ("satisfaction_rate", "满意率(%)", "0.0%"), ("mean_satisfaction", "平均满意度(分)", "0.00"),
    ("overdue", "超期(件)", "0"), ("escalated", "吹哨上报(件)", "0"),
)
TREND_COLUMNS: Final = (("period", "起始日期", None), ("events", "事件数(件)", "0"),
                        ("closed", "结案数(件)", "0"), ("closed_on_time", "按期结案数(件)", "0"),
                        ("overdue", "超期(件)", "0"))


def kpi_workbook(answer: Mapping[str, Any], *, at: datetime | None = None) -> bytes:
    """The .xlsx bytes of a KPI ``answer`` (``list_kpis``); ``at`` is the export time."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "指标"
    items = [_named(item) for item in answer["items"]]
    _table(sheet, KPI_COLUMNS, items)
    _breakdown(book.create_sheet("类别"), items, "by_category", categories.CATEGORY_LABELS)
    _breakdown(book.create_sheet("渠道"), items, "by_channel", categories.CHANNEL_LABELS)
    if answer.get("trend") is not None:
        _table(book.create_sheet("趋势"), TREND_COLUMNS, answer["trend"])
    _about(book.create_sheet("说明"), answer, at or datetime.now().astimezone())
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _named(item: Mapping[str, Any]) -> dict[str, Any]:
    return {**item, "unit_name": item.get("unit_name") or (
        UNPLACED if item.get("unit_code") is None else item.get("unit_code"))}


def _table(sheet: Worksheet, columns: Sequence[tuple[str, str, str | None]],
           rows: Sequence[Mapping[str, Any]]) -> None:
    sheet.append([header for _, header, _ in columns])
    for row in rows:
        sheet.append([row.get(key) for key, _, _ in columns])
    for index, (_, header, number_format) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, 2 * len(header) + 2)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"


def _breakdown(sheet: Worksheet, items: Sequence[Mapping[str, Any]], key: str,
               labels: Mapping[str, str]) -> None:
    """Units down, codes across (Chinese names in the header), counts in 件."""
    codes = sorted({code for item in items for code in (item.get(key) or {})},
                   key=lambda c: list(labels).index(c) if c in labels else len(labels))
    sheet.append(["单位代码", "单位名称", *(f"{labels.get(c, c)}(件)" for c in codes)])
    for item in items:
        counts = item.get(key) or {}
        sheet.append([item.get("unit_code"), item["unit_name"],
                      *(int(counts.get(c, 0)) for c in codes)])
    sheet.freeze_panes = "C2"


def _about(sheet: Worksheet, answer: Mapping[str, Any], at: datetime) -> None:
    sheet.append(["项目", "内容"])
    for row in (("统计期间", f"{answer['from']} 至 {answer['to']}"),
                ("层级", LEVEL_NAMES.get(answer["level"], answer["level"])),
                ("区域", answer.get("region") or "本辖区全部"),
                ("导出时间(北京时间)", clock.local_text(at))):
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 30
