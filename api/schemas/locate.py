"""Which grid, community, subdistrict and grid worker a point belongs to."""

from __future__ import annotations

from api.schemas.common import Number, Open


class GridRef(Open):
    id: int
    code: str
    name: str | None = None
    version: int | None = None
    kind: str | None = None


class UnitRef(Open):
    code: str | None = None
    name: str | None = None


class WorkerContact(Open):
    """The grid's primary worker's public contact."""

    name: str | None = None
    phone: str | None = None
    duties: str | None = None
    supervision_phone: str | None = None


class Located(Open):
    """``GET /api/v1/locate``: the storage point (EPSG:4490) and what it belongs to."""

    lon: Number
    lat: Number
    grid: GridRef
    community: UnitRef
    subdistrict: UnitRef
    worker: WorkerContact | None = None
    on_boundary: bool
    outside: bool
    distance_m: Number

