"""The extent of each OGC API collection: lon/lat box (EPSG:4490) and time span."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql


class Extent(NamedTuple):
    """(min lon, min lat, max lon, max lat) in EPSG:4490, or None when empty; time span."""

    box: tuple[float, float, float, float] | None
    start: datetime | None
    end: datetime | None


def collection_extents(session: Session, *, scope: str | None = None) -> dict[str, Extent]:
    """Extent per collection id (grids, regions, facilities, facility_areas, buildings,
    events); buildings and events only inside region ``scope``."""
    rows = session.execute(sql.statement("ogc_extents"),
                           {"scope": jurisdiction.scope_prefix(scope)}).all()
    return {row.collection: Extent(None if row.minx is None else
                                   (row.minx, row.miny, row.maxx, row.maxy),
                                   row.t_start, row.t_end) for row in rows}
