"""Hand-checkable plan cases: a lattice of identical buildings in one rectangular community.

The community is lon 119.20–119.22, lat 34.60–34.61 (≈1830 m × 1110 m); buildings sit in
10 columns × 5 rows, 0.002° apart, each with ``households`` households (default 50).
Grids by column: G1 columns 0–4 (25 buildings), G2 columns 5–7 (15), G3 columns 8–9 rows 1–4
(8) and G4 columns 8–9 row 0 (2). With 50 households each: G1 1250 (oversized), G2 750
(oversized), G3 400 (in range), G4 100 (undersized, merges into G3 → 500).
"""

from __future__ import annotations

from datetime import UTC, datetime

from shapely import affinity, box
from sqlalchemy.orm import Session

from gis.models import Building, Grid
from tests.builders import make_building, make_grid, make_region

LON0, LAT0, STEP = 119.20, 34.60, 0.002


def building_box(col: int, row: int, size: float = 0.0004):  # type: ignore[no-untyped-def]
    lon, lat = LON0 + 0.0005 + STEP * col, LAT0 + 0.0005 + STEP * row
    return box(lon, lat, lon + size, lat + size)


GRID_BOXES = {
    "G1": box(119.20, 34.60, 119.21, 34.61),
    "G2": box(119.21, 34.60, 119.216, 34.61),
    "G3": box(119.216, 34.602, 119.22, 34.61),
    "G4": box(119.216, 34.60, 119.22, 34.602),
}


def grid_of(col: int, row: int) -> str:
    if col <= 4:
        return "G1"
    if col <= 7:
        return "G2"
    return "G3" if row >= 1 else "G4"


def make_lattice(session: Session, *, households: int = 50, locked: tuple[str, ...] = (),
                 merged_g3_g4: bool = False, code: str = "320706913001",
                 valid_from: datetime | None = None, theme: str = "unified",
                 north: float = 0.0, prefix: str = "L"
                 ) -> tuple[str, dict[str, Grid], list[Building]]:
    """The lattice community; returns (community code, grids by name, buildings).

    ``north`` (degrees) moves the whole case north, ``prefix`` starts its building codes:
    several lattices side by side in one committed database (0.01 apart or more)."""
    def moved(geom):  # type: ignore[no-untyped-def]
        return affinity.translate(geom, yoff=north)

    community = make_region(session, code=code,
                            geom=moved(box(LON0, LAT0, LON0 + 0.02, LAT0 + 0.01))).code
    boxes = dict(GRID_BOXES)
    if merged_g3_g4:
        boxes["G3"] = box(119.216, 34.60, 119.22, 34.61)
        del boxes["G4"]
    grids = {name: make_grid(session, code=f"{community}{i + 1:03d}", name=name,
                             theme=theme, community_code=community, geom=moved(geom),
                             locked=name in locked)
             for i, (name, geom) in enumerate(boxes.items())}
    if valid_from is not None:
        for grid in grids.values():
            grid.valid_from = valid_from
        session.flush()
    buildings = []
    for col in range(10):
        for row in range(5):
            name = grid_of(col, row)
            name = "G3" if merged_g3_g4 and name == "G4" else name
            buildings.append(make_building(
                session, code=f"{prefix}{col}{row}", households=households,
                residents=households * 3, community_code=community,
                geom=moved(building_box(col, row)),
                grid=grids[name] if theme == "unified" else None))
    return community, grids, buildings


PAST = datetime(2020, 1, 1, tzinfo=UTC)
