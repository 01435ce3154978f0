"""Event KPIs per grid, community or subdistrict (数字驾驶舱)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Link, Number, Open


class KpiItem(Open):
    """One unit's figures for events reported in the period."""

    unit_code: str | None = None
    unit_name: str | None = None
    events: int
    closed: int
    closed_on_time: int
    on_time_rate: Number | None = None
    mean_hours_to_close: Number | None = None
    rated: int
    satisfaction_rate: Number | None = None
    mean_satisfaction: Number | None = None
    overdue: int
    not_closed: int | None = Field(None, description="events not yet closed (未结案: every "
                                                     "state but closed, resolved and verified "
                                                     "included)")
    escalated: int
    by_state: dict[str, int]
    by_category: dict[str, int]
    by_channel: dict[str, int] = Field(default_factory=dict)


class KpiPeriod(Open):
    """Events reported in one day or week (``period``: its first day, ISO date, UTC)."""

    period: str
    events: int
    closed: int
    closed_on_time: int
    overdue: int


class Kpis(Open):
    """``GET /api/v1/kpis``: the level, the period (ISO dates, inclusive), the region asked
    for, one item per unit (a page: numberMatched, numberReturned, next/prev links),
    ``total`` (the whole region asked for, or the caller's) and, when asked for, the trend
    by day or week."""

    level: str
    from_: str = Field(alias="from")
    to: str
    region: str | None = None
    items: list[KpiItem]
    numberMatched: int | None = Field(None, description="units in the region (every page)")
    numberReturned: int | None = Field(None, description="units in this page")
    links: list[Link] | None = None
    total: KpiItem | None = None
    trend: list[KpiPeriod] | None = None
