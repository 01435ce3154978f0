"""Event KPIs per grid, community or subdistrict (数字驾驶舱)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Number, Open


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


class Kpis(Open):
    """``GET /api/v1/kpis``: the level, the period (ISO dates, inclusive) and one item per
    unit."""

    level: str
    from_: str = Field(alias="from")
    to: str
    items: list[KpiItem]
