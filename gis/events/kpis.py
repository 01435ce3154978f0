"""Performance figures for managers (数字驾驶舱): per grid, community or subdistrict.

For events reported in a date range: events by state and category, on-time closure rate
(按期结案率 = closed no later than due_at / closed), mean hours from report to closure,
satisfaction rate (scores >= 4 / scores given), open overdue events, escalated events and
events by channel. One SQL statement (gis/core/sql/kpis.sql); the trend by day or week is
another (kpi_trend.sql). A row with ``unit_code`` null gathers events that no unit holds (e.g.
still ``needs_location``). Both read only the events inside the region asked for, which must
lie inside the caller's (``gm_in_region``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import dates, paging, sql
from gis.core.errors import InvalidInput
from gis.events import workflow

LEVELS = ("grid", "community", "subdistrict")
TRENDS = ("day", "week")
DEFAULT_DAYS = 30
GRID_PAGE = 100
"""Grids per page of ``GET /api/v1/kpis?level=grid`` unless asked otherwise: a city's
7,993 grids are a list to page through, like every other list; the other levels (a city's
120 街道, a 街道's 社区) come whole."""


def default_limit(level: str) -> int | None:
    """The page size of ``level``'s units when the caller names none (None: all)."""
    return GRID_PAGE if level == "grid" else None


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    dates.check_range(start, end)
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    dates.check_range(start, end)
    return start, end


def list_kpis(session: Session, *, level: str = "grid", start: date | None = None,
              end: date | None = None, now: datetime | None = None,
              scope: str | None = None, region: str | None = None,
              trend: str | None = None, limit: int | None = None,
              offset: int = 0) -> dict[str, Any]:
    """KPIs per unit of ``level`` and in ``total`` for events reported from ``start`` to
    ``end`` (both inclusive, UTC days; default the last 30 days); overdue is counted at
    ``now``. Only the events inside both ``region`` (a region code) and the caller's
    ``scope`` count: Forbidden when the two do not meet. ``items`` is one page of the units
    ordered by code (``limit`` None: all of them), ``number_matched`` how many units there
    are; ``total`` is always the whole region's. With ``trend`` (day or week) the answer
    carries the events per period of the same region as ``trend``."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}; got '{level}'")
    if trend is not None and trend not in TRENDS:
        raise InvalidInput(f"trend must be one of {', '.join(TRENDS)}; got '{trend}'")
    paging.check_page(limit, offset)
    area = _area(region, scope)
    first, last = _range(start, end)
    params = {"level": level, "region": region,
              "start": datetime.combine(first, time.min, tzinfo=UTC),
              "end": datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
              "now": now or datetime.now(UTC), "satisfied_min": workflow.SATISFIED_MIN,
              "scope": jurisdiction.scope_prefix(area)}
    statement = text(sql.load("kpis"))
    result = session.execute(statement, {**params, "limit": limit, "offset": offset})
    keys = list(result.keys())  # once: RowMapping.items() asks for them per row (1.5k rows)
    rows = [_jsonable(dict(zip(keys, r, strict=True))) for r in result]
    whole = [r.pop("whole") for r in rows]  # the total over every unit (its last row)
    matched = [r.pop("number_matched") for r in rows]
    items = [r for r, w in zip(rows, whole, strict=True) if not w]
    total = [r for r, w in zip(rows, whole, strict=True) if w]
    answer: dict[str, Any] = {"level": level, "from": first.isoformat(), "to": last.isoformat(),
                              "region": region, "items": items,
                              "number_matched": int(matched[0]) if matched else 0,
                              "total": total[0] if total else _empty(region)}
    if trend is not None:
        answer["trend"] = _trend(session, {**params, "unit": trend})
    return answer


def _area(region: str | None, scope: str | None) -> str | None:
    """The smaller of two nested regions: a 社区 key asking for its 街道 reads its 社区."""
    if region is not None and scope is not None and jurisdiction.inside(scope, region):
        return scope
    return jurisdiction.narrow(region, scope, "region")


def _empty(region: str | None) -> dict[str, Any]:
    zero = dict.fromkeys(("events", "closed", "closed_on_time", "rated", "overdue",
                          "escalated"), 0)
    return {"unit_code": region, "unit_name": None, **zero, "on_time_rate": None,
            "mean_hours_to_close": None, "satisfaction_rate": None, "mean_satisfaction": None,
            "by_state": {}, "by_category": {}, "by_channel": {}}


def _trend(session: Session, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows = session.execute(text(sql.load("kpi_trend")), params).mappings().all()
    return [dict(r) for r in rows]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (float(v) if k.endswith(("_rate", "_close", "_satisfaction")) and v is not None
                else v) for k, v in row.items()}
