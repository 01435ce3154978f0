"""Topology QA: summary per check and the problems as GeoJSON."""

from __future__ import annotations

from api.schemas.common import FeatureCollection, Number, Open


class QaSummary(Open):
    """Problems, area and buildings per check."""

    check: str
    label: str | None = None
    problems: int
    area_m2: Number | None = None
    buildings: int | None = None


class QaIssueProperties(Open):
    """One problem: which check, where, which grids and building, how big."""

    check: str
    label: str | None = None
    theme: str | None = None
    community_code: str | None = None
    grid_codes: list[str] | None = None
    building_code: str | None = None
    area_m2: Number | None = None
    buildings: int | None = None


class QaReport(Open):
    """``GET /api/v1/qa``."""

    scope: str | None
    theme: str | None
    summary: list[QaSummary]
    issues: FeatureCollection[QaIssueProperties]
