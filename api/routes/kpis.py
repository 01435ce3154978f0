"""Event KPIs for managers (数字驾驶舱)."""

from __future__ import annotations

from fastapi import APIRouter

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.params import KpiQueryDep
from api.schemas.common import errors
from api.schemas.kpis import Kpis
from gis.events import kpis

router = APIRouter(prefix="/api/v1", tags=["kpis"],
                   responses=errors(401, 403, 422))


@router.get("/kpis", response_model=Kpis,
            response_model_exclude_unset=True)
def list_kpis(session: SessionDep, caller: KeyedCallerDep, query: KpiQueryDep) -> dict:
    """Per unit and in ``total``: events by state, category and channel, 按期结案率
    on_time_rate, mean_hours_to_close, satisfaction_rate, overdue and escalated counts; only
    events in the caller's region (and in ``region`` when given); ``trend`` adds events per
    day or week. The same figures as an Excel file: ``/map/cockpit/export.xlsx``."""
    return kpis.list_kpis(session, level=query.level, start=query.start, end=query.end,
                          scope=caller.scope, region=query.region, trend=query.trend)
