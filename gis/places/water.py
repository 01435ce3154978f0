"""Reading water areas (rivers, lakes) for maps. Geometry in EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.core import paging


def list_water_areas(session: Session, *, bbox: str | Sequence[float] | None = None,
                     limit: int | None = None, offset: int = 0) -> gpd.GeoDataFrame:
    """Water areas (EPSG:4490 multipolygons) ordered by id; ``bbox`` is lon/lat.

    Columns: id, name, geom. ``attrs["number_matched"]`` holds the total.
    """
    return paging.run_page(session, "water_list", paging.bbox_params(bbox),
                            limit=limit, offset=offset)
