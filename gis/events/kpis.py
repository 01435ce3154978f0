"""Performance figures for managers (数字驾驶舱): per grid, community or subdistrict.

For events reported in a date range: events by state and category, on-time closure rate
(按期结案率 = closed no later than due_at / closed), mean hours from report to closure,
satisfaction rate (scores >= 4 / scores given), open overdue events and escalated events.
One SQL statement (gis/core/sql/kpis.sql). A row with ``unit_code`` null gathers events that no
unit holds (e.g. still ``needs_location``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import dates, sql
from gis.core.errors import InvalidInput
from gis.events import workflow

LEVELS = ("grid", "community", "subdistrict")
DEFAULT_DAYS = 30


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    dates.check_range(start, end)
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    dates.check_range(start, end)
    return start, end


def list_kpis(session: Session, *, level: str = "grid", start: date | None = None,
              end: date | None = None, now: datetime | None = None,
              scope: str | None = None) -> dict[str, Any]:
    """KPIs per unit of ``level`` for events reported from ``start`` to ``end`` (both
    inclusive, UTC days; default the last 30 days); overdue is counted at ``now``. With
    ``scope`` (a region code) only the events inside that region count."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}; got '{level}'")
    first, last = _range(start, end)
    params = {"level": level,
              "start": datetime.combine(first, time.min, tzinfo=UTC),
              "end": datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
              "now": now or datetime.now(UTC), "satisfied_min": workflow.SATISFIED_MIN,
              "scope": jurisdiction.scope_prefix(scope)}
    rows = session.execute(text(sql.load("kpis")), params).mappings().all()
    return {"level": level, "from": first.isoformat(), "to": last.isoformat(),
            "items": [_jsonable(r) for r in rows]}


def _jsonable(row: Any) -> dict[str, Any]:
    return {k: (float(v) if k.endswith(("_rate", "_close", "_satisfaction")) and v is not None
                else v) for k, v in row.items()}
