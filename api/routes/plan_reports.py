"""Plan reports: per grid figures (JSON, .xlsx), a printable page with both maps, and plan
against plan. Planners and admin of the plan's region (404 for a plan outside it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from api.access import CurrentPlan, PlannerDep, PlanningCallerDep, current_plan
from api.deps import PageCsrfDep, SessionDep
from api.params import MAX_ID, OptionalRowId
from api.schemas.common import errors
from api.schemas.plan_reports import PlanComparison, PlanSheet
from gis.models import Plan
from gis.plans import report, workbook
from layers import plan_report as report_page

router = APIRouter(tags=["plans"], responses=errors(401, 403, 404, 422))
PlanId = Annotated[int, Query(ge=1, le=MAX_ID, description="a plan's numeric id")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plan_a(a: PlanId, session: SessionDep, caller: PlannerDep) -> Plan:
    """Plan ``a`` of the query, inside the key's region (else 404)."""
    return current_plan(a, session, caller)


def plan_b(b: PlanId, session: SessionDep, caller: PlannerDep) -> Plan:
    """Plan ``b`` of the query, inside the key's region (else 404)."""
    return current_plan(b, session, caller)


@router.get("/api/v1/plans/compare", response_model=PlanComparison,
            response_model_exclude_unset=True)
def compare_plans(caller: PlannerDep, a: Annotated[Plan, Depends(plan_a)],
                  b: Annotated[Plan, Depends(plan_b)], session: SessionDep) -> dict:
    """Plan ``a`` against plan ``b``: totals side by side with b − a (planners)."""
    return report.compare_plans(session, a, b)


@router.get("/api/v1/plans/{plan_id}/report", response_model=PlanSheet,
            response_model_exclude_unset=True)
def plan_report(caller: PlannerDep, plan: CurrentPlan, session: SessionDep) -> dict:
    """Per grid households, residents, buildings, area, compactness, moved households; the
    compounds the plan splits; totals; the metric CRS used (planners)."""
    return report.plan_sheet(session, plan)


@router.get("/api/v1/plans/{plan_id}/report.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {"schema": {"type": "string",
                                                           "format": "binary"}}},
                             "description": "the report as an Excel workbook (Chinese headers)"}})
def plan_report_xlsx(caller: PlannerDep, plan: CurrentPlan, session: SessionDep,
                     against: OptionalRowId = None) -> Response:
    """The report as .xlsx (汇总, 网格, 拆分小区; 方案对比 with ``against``, another plan of the
    key's region)."""
    other = current_plan(against, session, caller) if against is not None else None
    comparison = report.compare_plans(session, plan, other) if other is not None else None
    body = workbook.workbook_from_report(report.plan_sheet(session, plan), comparison)
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="plan-{plan.id}-report.xlsx"'})


@router.get("/map/plans/{plan_id}/report", response_class=HTMLResponse)
def plan_report_page(caller: PlanningCallerDep, plan: CurrentPlan, session: SessionDep,
                     csrf: PageCsrfDep) -> str:
    """The printable report: current and proposed maps, totals, grids, split compounds."""
    return report_page.report_page(report.plan_sheet(session, plan),
                                   report.report_maps(session, plan), caller, csrf=csrf)
