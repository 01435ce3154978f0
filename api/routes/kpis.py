"""Event KPIs for managers (数字驾驶舱)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.schemas.common import errors
from api.schemas.kpis import Kpis
from gis.events import kpis

router = APIRouter(prefix="/api/v1", tags=["kpis"],
                   responses=errors(401, 403, 422))


@router.get("/kpis", response_model=Kpis,
            response_model_exclude_unset=True)
def list_kpis(session: SessionDep, caller: KeyedCallerDep,
              level: Annotated[str, Query(description="grid, community or subdistrict")]
              = "grid",
              start: Annotated[date | None, Query(alias="from",
                                                  description="first day (default: 30 "
                                                              "days ago)")] = None,
              end: Annotated[date | None, Query(alias="to",
                                                description="last day (default: today)")]
              = None) -> dict:
    """Per unit: events by state and category, 按期结案率 on_time_rate, mean_hours_to_close,
    satisfaction_rate, overdue and escalated counts; only events in the caller's region."""
    return kpis.list_kpis(session, level=level, start=start, end=end, scope=caller.scope)
