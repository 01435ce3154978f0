"""The 数字驾驶舱 page (``/map/cockpit``) and its Excel export (``/map/cockpit/export.xlsx``).

The export takes the query of ``GET /api/v1/kpis`` (level, region, from, to, trend) and
answers the same figures as an .xlsx workbook with Chinese headers (gis.io.workbooks); it
lives under /map because it is a file for people, authorised like the page (login cookie or
key), not a JSON answer.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.access import KeyedCallerDep
from api.deps import PageCsrfDep, SessionDep, SettingsDep
from api.params import KpiQueryDep
from api.schemas.common import errors
from gis.events import kpis
from gis.io import workbooks
from layers import cockpit

router = APIRouter(tags=["maps"], responses=errors(401, 403, 422))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/map/cockpit", response_class=HTMLResponse, summary="数字驾驶舱 (event KPIs)")
def get_cockpit(caller: KeyedCallerDep, settings: SettingsDep,
                csrf: PageCsrfDep) -> HTMLResponse:
    """KPIs of 街道, 社区 and 网格 of the caller's region on a map with charts, a date range,
    drill-down by clicking a unit and an Excel export (any logged-in role)."""
    return HTMLResponse(cockpit.render_cockpit(caller, basemap_url=settings.basemap_url,
                                               csrf=csrf))


@router.get("/map/cockpit/export.xlsx", response_class=Response,
            summary="驾驶舱指标 Excel 导出 (.xlsx)",
            responses={200: {"content": {XLSX: {}},
                             "description": "the figures of /api/v1/kpis as a workbook"}})
def export_cockpit(session: SessionDep, caller: KeyedCallerDep,
                   query: KpiQueryDep) -> Response:
    """The figures ``GET /api/v1/kpis`` answers for the same query, as an Excel workbook
    (sheets 指标, 类别, 渠道, 趋势, 说明) with Chinese headers."""
    answer = kpis.list_kpis(session, level=query.level, start=query.start, end=query.end,
                            scope=caller.scope, region=query.region, trend=query.trend)
    name = f"驾驶舱指标_{answer['from']}_{answer['to']}.xlsx"
    disposition = f"attachment; filename=\"cockpit.xlsx\"; filename*=UTF-8''{quote(name)}"
    return Response(workbooks.kpi_workbook(answer), media_type=XLSX,
                    headers={"Content-Disposition": disposition})
