"""Buildings and a building's grid history."""

from __future__ import annotations

from api.schemas.common import Feature, FeatureCollection, Number, Open


class BuildingProperties(Open):
    """A building: standard address, compound (小区), floors, households, residents, grid.

    Attributes other than the code may be null outside the key's jurisdiction."""

    id: int
    code: str
    address: str | None = None
    compound: str | None = None
    floors: int | None = None
    households: int | None = None
    residents: int | None = None
    use: str | None = None
    community_code: str | None = None
    grid_code: str | None = None


BuildingFeature = Feature[BuildingProperties]
BuildingCollection = FeatureCollection[BuildingProperties]


class GridPeriod(Open):
    """One period of a building in a unified grid (ISO 8601 instants; open end: null)."""

    grid_id: int
    grid_code: str
    grid_name: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    area_share: Number | None = None


class GridHistory(Open):
    """``GET /api/v1/buildings/{code}/grid-history``."""

    building: str
    at: str | None
    theme: str = "unified"
    periods: list[GridPeriod]
