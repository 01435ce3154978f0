"""Admin units (区/街道/社区)."""

from __future__ import annotations

from api.schemas.common import Feature, FeatureCollection, Number, Open


class RegionProperties(Open):
    """An admin unit: 12-digit code, name, level and parent, area in km²."""

    id: int
    code: str
    name: str
    level: str
    parent_code: str | None = None
    area_km2: Number | None = None


RegionFeature = Feature[RegionProperties]
RegionCollection = FeatureCollection[RegionProperties]
