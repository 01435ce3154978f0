"""Reading buildings (standard address, floors, households, residents). EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import paging


def list_buildings(session: Session, *, grid_code: str | None = None,
                   community_code: str | None = None,
                   bbox: str | Sequence[float] | None = None, limit: int | None = None,
                   offset: int = 0, scope: str | None = None,
                   filters: paging.Filters | None = None) -> gpd.GeoDataFrame:
    """Buildings (EPSG:4490) inside region ``scope`` (the caller's jurisdiction; None:
    everywhere) ordered by code, one page; ``grid_code`` is the unified grid.

    Columns: id, code, address, compound, floors, households, residents, use,
    community_code, grid_code, geom. ``attrs["number_matched"]`` holds the total.
    """
    params = {"code": None, "grid_code": grid_code, "community_code": community_code,
              "scope": jurisdiction.scope_prefix(scope), **paging.bbox_params(bbox)}
    return paging.run_filtered_page(session, "building_list", params,
                                    filters or paging.Filters(), limit=limit, offset=offset)


def get_building(session: Session, code: str, *, scope: str | None = None) -> gpd.GeoDataFrame:
    """Building ``code`` as a one-row frame (columns of list_buildings); NotFound as well when
    it lies outside region ``scope`` (the caller's jurisdiction, None: everywhere)."""
    params = {"code": code, "grid_code": None, "community_code": None,
              "scope": jurisdiction.scope_prefix(scope), **paging.NO_BBOX}
    frame = paging.run_page(session, "building_list", params, limit=None, offset=0)
    return paging.one_row(frame, "building", code)
