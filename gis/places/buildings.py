"""Reading buildings (standard address, floors, households, residents). EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.core import paging


def list_buildings(session: Session, *, grid_code: str | None = None,
                   community_code: str | None = None,
                   bbox: str | Sequence[float] | None = None, limit: int | None = None,
                   offset: int = 0) -> gpd.GeoDataFrame:
    """Buildings (EPSG:4490) ordered by code, one page; ``grid_code`` is the unified grid.

    Columns: id, code, address, compound, floors, households, residents, use,
    community_code, grid_code, geom. ``attrs["number_matched"]`` holds the total.
    """
    params = {"code": None, "grid_code": grid_code, "community_code": community_code,
              **paging.bbox_params(bbox)}
    return paging.run_page(session, "building_list", params, limit=limit, offset=offset)


def get_building(session: Session, code: str) -> gpd.GeoDataFrame:
    """Building ``code`` as a one-row frame (columns of list_buildings)."""
    params = {"code": code, "grid_code": None, "community_code": None, **paging.NO_BBOX}
    frame = paging.run_page(session, "building_list", params, limit=None, offset=0)
    return paging.one_row(frame, "building", code)
