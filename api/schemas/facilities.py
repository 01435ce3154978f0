"""Facilities (party centres, clinics, elderly care, shelters…)."""

from __future__ import annotations

from api.schemas.common import Feature, FeatureCollection, Number, Open


class FacilityProperties(Open):
    """A facility: code, name, type, level and public details."""

    id: int
    code: str
    name: str
    type: str
    level: str | None = None
    capacity: Number | None = None  # a float (200.0) when some facilities have none
    opening_hours: str | None = None
    address: str | None = None
    phone: str | None = None
    community_code: str | None = None


FacilityFeature = Feature[FacilityProperties]
FacilityCollection = FeatureCollection[FacilityProperties]
