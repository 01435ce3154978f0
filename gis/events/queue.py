"""The dispatcher's lists: open, overdue and unplaced (待定位) events with filters, overdue
first, and the choices its filters offer (grids by name, communities) inside a region.

Geometry in EPSG:4490. Reporters are not read at all, and personal numbers in descriptions
and addresses are masked: the list shows no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.access.privacy import mask_frame
from gis.core import paging
from gis.core.errors import InvalidInput
from gis.events import categories, labels, queries, workflow

VIEWS: Final = {"open": "未结", "overdue": "超期", "needs_location": "待定位", "all": "全部"}


@dataclass(frozen=True)
class QueueFilter:
    """What the list shows: ``view`` (open, overdue, needs_location, all) and optional codes;
    ``since``/``until`` are Beijing dates of the report, both inclusive."""

    view: str = "open"
    grid: str | None = None
    community: str | None = None
    status: str | None = None
    category: str | None = None
    channel: str | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_form(cls, **values: str | None) -> QueueFilter:
        """The filter a GET form sends: empty fields mean "any", dates are ``YYYY-MM-DD``
        (InvalidInput otherwise)."""
        given = {k: v.strip() for k, v in values.items() if v and v.strip()}
        try:
            dates = {k: date.fromisoformat(given[k]) for k in ("since", "until") if k in given}
        except ValueError:
            raise InvalidInput("日期格式应为 YYYY-MM-DD (dates are YYYY-MM-DD)") from None
        return cls(view=given.get("view", "open"), grid=given.get("grid"),
                   community=given.get("community"), status=given.get("status"),
                   category=given.get("category"), channel=given.get("channel"),
                   since=dates.get("since"), until=dates.get("until"))

    def check(self) -> None:
        """InvalidInput naming the valid values when a filter is unknown."""
        for value, valid, what in ((self.view, VIEWS, "view"),
                                   (self.status, workflow.STATE_LABELS, "status"),
                                   (self.category, categories.BY_CODE, "category"),
                                   (self.channel, labels.CHANNEL_LABELS, "channel")):
            if value is not None and value not in valid:
                raise InvalidInput(f"unknown {what} '{value}'; valid: {', '.join(valid)}")
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("开始日期晚于结束日期 (since is after until)")


def list_queue(session: Session, wanted: QueueFilter, *, limit: int | None = 50,
               offset: int = 0, scope: str | None = None) -> gpd.GeoDataFrame:
    """One page of events matching ``wanted`` inside region ``scope``, overdue first, then by
    due time, with Chinese state, category and channel labels; ``attrs["number_matched"]``
    and, per row, ``overdue_matched`` (how many of all matching are overdue)."""
    wanted.check()
    params = {"view": wanted.view, "status": wanted.status, "category": wanted.category,
              "channel": wanted.channel, "grid": wanted.grid, "community": wanted.community,
              "since": wanted.since, "until": wanted.until,
              "scope": jurisdiction.scope_prefix(scope)}
    frame = mask_frame(paging.run_page(session, "event_queue", params, limit=limit,
                                       offset=offset))
    return frame.assign(status_label=frame["status"].map(workflow.STATE_LABELS),
                        category_label=frame["category"].map(queries.category_label),
                        channel_label=frame["channel"].map(labels.channel_label))


def queue_choices(session: Session, *, scope: str | None = None) -> dict[str, pd.DataFrame]:
    """The current unified grids (code, name, community name) and the communities inside
    region ``scope``, for the list's pickers."""
    prefix = jurisdiction.scope_prefix(scope)
    grids = pd.read_sql(text("""
        SELECT g.code, g.name, r.name AS community_name FROM grid g
        LEFT JOIN region r ON r.code = g.community_code
        WHERE g.valid_to IS NULL AND g.theme = 'unified' AND gm_in_region(g.community_code, :scope)
        ORDER BY r.name, g.name, g.code"""), session.connection(), params={"scope": prefix})
    communities = pd.read_sql(text("""
        SELECT code, name FROM region
        WHERE level = 'community' AND gm_in_region(code, :scope) ORDER BY code"""),
        session.connection(), params={"scope": prefix})
    return {"grids": grids, "communities": communities}
