"""Walking service circles (服务圈), coverage per unit and new sites."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Feature, FeatureCollection, Number, Open


class CircleProperties(Open):
    """A facility's walking circle (polygon, lon/lat) for ``minutes`` at a walking speed."""

    facility_id: int
    code: str | None = None
    name: str | None = None
    type: str | None = None
    level: str | None = None
    minutes: Number
    speed_m_per_min: Number
    distance_m: Number
    snap_distance_m: Number | None = None
    area_m2: Number | None = None


class CircleCollection(FeatureCollection[CircleProperties]):
    """Circles of every facility of a type; ``skipped`` lists facilities off the network."""

    skipped: list[Open] = Field(default_factory=list)


CircleFeature = Feature[CircleProperties]


class CoverageFigures(Open):
    """Buildings, households and residents in all and covered; ``rate`` of households."""

    buildings: int
    covered_buildings: int
    households: int
    covered_households: int
    residents: int
    covered_residents: int
    rate: Number | None = None


class UnitCoverage(CoverageFigures):
    code: str | None = None
    name: str | None = None


class UncoveredBuilding(Open):
    id: int
    code: str
    address: str | None = None
    compound: str | None = None
    households: int | None = None
    residents: int | None = None
    grid_code: str | None = None
    community_code: str | None = None
    distance_m: Number | None = None
    off_network: bool | None = None


class Catchment(Open):
    facility_id: int
    name: str | None = None
    buildings: int | None = None
    households: int | None = None
    residents: int | None = None
    covered_households: int | None = None


class Coverage(Open):
    """``GET /api/v1/coverage``: who lives within the walk of a facility type."""

    type: str
    minutes: Number
    speed_m_per_min: Number
    distance_m: Number
    level: str
    facilities: int
    facilities_off_network: list[Open] = Field(default_factory=list)
    summary: CoverageFigures
    units: list[UnitCoverage]
    uncovered: list[UncoveredBuilding]
    catchments: list[Catchment] = Field(default_factory=list)
    seconds: Number | None = None


class Site(Open):
    """A proposed new site (a network node, lon/lat EPSG:4490) and what it adds."""

    rank: int
    node_id: int | None = None
    lon: Number
    lat: Number
    households_gained: int
    residents_gained: int | None = None
    buildings_gained: int | None = None
    rate_after: Number | None = None


class Sites(Open):
    """``GET /api/v1/coverage/sites``: greedy new sites for a facility type."""

    type: str
    minutes: Number
    speed_m_per_min: Number
    distance_m: Number
    k: int
    method: str
    households: int
    covered_households_before: int
    covered_households_after: int
    sites: list[Site]
