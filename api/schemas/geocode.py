"""Free-text Chinese addresses to buildings (and their grids)."""

from __future__ import annotations

from api.schemas.common import Number, Open
from api.schemas.locate import Located


class Candidate(Open):
    """A building an address may mean (score 0..1), with its grid and the grid worker's
    public contact; lon/lat EPSG:4490."""

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
    worker_name: str | None = None
    worker_phone: str | None = None
    worker_supervision_phone: str | None = None


class Geocoded(Open):
    """``GET /api/v1/geocode``: ranked candidates; ``clear`` when the best is unambiguous."""

    query: str
    normalized: str
    clear: bool
    candidates: list[Candidate]


class NearestBuilding(Open):
    """The building nearest to a point (within 150 m, inside the caller's region)."""

    building_code: str
    address: str | None = None
    compound: str | None = None
    community_code: str | None = None
    distance_m: Number


class ReverseGeocoded(Open):
    """``GET /api/v1/geocode/reverse``: the storage point (EPSG:4490), what it belongs to
    (as ``/api/v1/locate`` answers) and the nearest building's address (null: none near)."""

    lon: Number
    lat: Number
    place: Located
    building: NearestBuilding | None = None


class PlaceFound(ReverseGeocoded):
    """``GET /api/v1/geocode/search``: the place a search text names. ``kind``: coordinates,
    grid, building, address or compound; ``candidates`` (best first) for an address."""

    query: str
    kind: str
    label: str | None = None
    clear: bool
    candidates: list[Candidate]
