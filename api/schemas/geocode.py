"""Free-text Chinese addresses to buildings (and their grids)."""

from __future__ import annotations

from api.schemas.common import Number, Open


class Candidate(Open):
    """A building an address may mean (score 0..1), with its grid; lon/lat EPSG:4490."""

    building_code: str
    address: str | None = None
    compound: str | None = None
    score: Number
    matched: str | None = None
    exact: bool | None = None
    lon: Number | None = None
    lat: Number | None = None
    grid_code: str | None = None
    grid_name: str | None = None
    community_code: str | None = None


class Geocoded(Open):
    """``GET /api/v1/geocode``: ranked candidates; ``clear`` when the best is unambiguous."""

    query: str
    normalized: str
    clear: bool
    candidates: list[Candidate]
