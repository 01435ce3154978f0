"""Grids (网格) with load figures and the primary worker's public contact; grid load."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Feature, FeatureCollection, Number, Open


class GridProperties(Open):
    """A current grid: identity, theme and kind, load, open events, the worker's contact."""

    id: int
    code: str
    name: str | None = None
    theme: str
    kind: str | None = None
    community_code: str | None = None
    community_name: str | None = None
    households: int | None = None
    residents: int | None = None
    buildings: int | None = None
    area_km2: Number | None = None
    open_events: int | None = None
    not_closed_events: int | None = Field(None, description="events not yet closed (未结案), "
                                                            "resolved and verified included")
    locked: bool | None = None
    version: int | None = None
    worker_name: str | None = None
    worker_phone: str | None = None
    supervision_phone: str | None = None


GridFeature = Feature[GridProperties]
GridCollection = FeatureCollection[GridProperties]


class LoadRules(Open):
    """Household ranges per grid kind, and the kinds exempt from them."""

    residential_min: int
    residential_max: int
    rural_min: int
    rural_max: int
    exempt_kinds: list[str]


class GridLoadItem(Open):
    """One grid's load against the rules, with its status and the reason."""

    id: int
    code: str
    name: str | None = None
    theme: str | None = None
    kind: str | None = None
    community_code: str | None = None
    locked: bool | None = None
    version: int | None = None
    households: int | None = None
    residents: int | None = None
    buildings: int | None = None
    area_km2: Number | None = None
    events_per_month: Number | None = None
    special_total: int | None = None
    special_groups: dict[str, int] | None = None
    min_households: int | None = None
    max_households: int | None = None
    status: str
    reason: str | None = None


class GridLoad(Open):
    """``GET /api/v1/grids/load``: the rules used, counts and one row per grid."""

    theme: str
    scope: str | None
    rules: LoadRules
    count: int
    out_of_range: int
    grids: list[GridLoadItem]
