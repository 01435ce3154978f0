"""Reading admin units: district 区, subdistrict 街道, community 社区. EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.core import paging
from gis.core.errors import InvalidInput
from gis.models.admin import REGION_LEVELS


def list_regions(session: Session, *, level: str | None = None,
                 parent_code: str | None = None, bbox: str | Sequence[float] | None = None,
                 limit: int | None = None, offset: int = 0,
                 filters: paging.Filters | None = None) -> gpd.GeoDataFrame:
    """Admin units (EPSG:4490) ordered by code, one page.

    Columns: id, code, name, level, parent_code, area_km2, geom.
    ``attrs["number_matched"]`` holds the total.
    """
    if level is not None and level not in REGION_LEVELS:
        raise InvalidInput(f"unknown level '{level}': use one of {', '.join(REGION_LEVELS)}")
    params = {"code": None, "level": level, "parent_code": parent_code,
              **paging.bbox_params(bbox)}
    return paging.run_filtered_page(session, "region_list", params, filters or paging.Filters(),
                                    limit=limit, offset=offset)


def get_region(session: Session, code: str) -> gpd.GeoDataFrame:
    """Admin unit ``code`` (12 digits) as a one-row frame (columns of list_regions)."""
    params = {"code": code, "level": None, "parent_code": None, **paging.NO_BBOX}
    frame = paging.run_page(session, "region_list", params, limit=None, offset=0)
    return paging.one_row(frame, "region", code, " (region codes have 12 digits)")
