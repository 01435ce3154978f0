"""The plan report (per grid figures, split compounds, totals) and plan against plan."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Number, Open


class ReportGrid(Open):
    """A proposed grid's figures; areas in m²/km² of the report's metric CRS."""

    seq: int
    source_grid_code: str | None = None
    community_code: str | None = None
    community_name: str | None = None
    kind: str | None = None
    flag: str | None = None
    households: int
    residents: int
    buildings: int
    moved_households: int = Field(description="households of buildings moved into this grid")
    moved_buildings: int
    area_m2: Number
    area_km2: Number
    perimeter_m: Number
    parts: int = Field(description="polygons in the grid's shape (1: one polygon)")
    polsby_popper: Number | None = Field(None, description="4πA/P²")
    hull_ratio: Number | None = Field(None, description="area / area of the convex hull")
    reock: Number | None = Field(None, description="area / area of the minimum bounding circle")


class SplitCompound(Open):
    """A compound (小区) whose buildings lie in more than one proposed grid."""

    community_code: str
    compound: str
    grids: int
    seqs: list[int]
    households: int
    buildings: int
    grids_before: int
    fits_one_grid: bool = Field(description="its households fit under the residential maximum")


class PlanSheet(Open):
    """``GET /api/v1/plans/{id}/report``: the report a 街道 signs off."""

    id: int
    kind: str
    status: str
    scope_code: str
    scope_name: str | None = None
    created_by: str | None = None
    created_at: str | None = Field(None, description="Beijing time YYYY-MM-DD HH:MM")
    crs: str = Field(description="metric CRS of areas and compactness, e.g. EPSG:4527")
    crs_note: str
    options: Open
    totals: Open
    grids: list[ReportGrid]
    split_compounds: list[SplitCompound]


class ComparedRow(Open):
    """One measure of two plans and b − a."""

    measure: str
    a: Number | None = None
    b: Number | None = None
    difference: Number | None = None


class PlanComparison(Open):
    """``GET /api/v1/plans/compare?a=&b=``: two plans' totals side by side."""

    a: Open
    b: Open
    rows: list[ComparedRow]
    same_grid_share: Number | None = Field(
        None, description="of the building pairs sharing a grid in a, the share sharing one "
                          "in b too (1: the same partition)")
