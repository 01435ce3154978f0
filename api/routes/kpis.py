"""Event KPIs for managers (数字驾驶舱)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.params import KpiQueryDep, Offset
from api.responses import page_links
from api.schemas.common import errors
from api.schemas.kpis import Kpis
from gis.events import kpis

router = APIRouter(prefix="/api/v1", tags=["kpis"],
                   responses=errors(401, 403, 422))


@router.get("/kpis", response_model=Kpis,
            response_model_exclude_unset=True)
def list_kpis(request: Request, session: SessionDep, caller: KeyedCallerDep,
              query: KpiQueryDep, limit: Annotated[int | None, Query(
                  ge=1, description=f"units per page (default {kpis.GRID_PAGE} at level "
                                    "grid, every unit at the other levels)")] = None,
              offset: Offset = 0) -> dict:
    """Per unit (one page, by code) and in ``total`` (the whole region): events by state,
    category and channel, 按期结案率 on_time_rate, mean_hours_to_close, satisfaction_rate,
    overdue and escalated counts; only events in the caller's region (and in ``region``
    when given); ``trend`` adds events per day or week. The same figures as an Excel file
    (every unit): ``/map/cockpit/export.xlsx``."""
    limit = limit or kpis.default_limit(query.level)
    answer = kpis.list_kpis(session, level=query.level, start=query.start, end=query.end,
                            scope=caller.scope, region=query.region, trend=query.trend,
                            limit=limit, offset=offset)
    matched, returned = answer.pop("number_matched"), len(answer["items"])
    return {**answer, "numberMatched": matched, "numberReturned": returned,
            "links": page_links(request, returned=returned, matched=matched, limit=limit,
                                offset=offset, media_type="application/json")}
