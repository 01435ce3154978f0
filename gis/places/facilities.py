"""Reading facilities (党群服务中心, clinics, elderly care, shelters…). EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.core import paging
from gis.core.errors import InvalidInput
from gis.models.facilities import FACILITY_TYPES


def list_facilities(session: Session, *, type: str | None = None,
                    community_code: str | None = None,
                    bbox: str | Sequence[float] | None = None, limit: int | None = None,
                    offset: int = 0, shape: str | None = None,
                    filters: paging.Filters | None = None) -> gpd.GeoDataFrame:
    """Facilities (points or polygons, EPSG:4490) ordered by code, one page.

    Columns: id, code, name, type, level, capacity, opening_hours, address, phone,
    community_code, geom. ``attrs["number_matched"]`` holds the total. ``shape`` 'point'
    gives every facility as a point (polygons by a point on their surface), 'area' the polygon
    facilities only (GIS clients want one geometry type per layer); None as stored.
    """
    if type is not None and type not in FACILITY_TYPES:
        raise InvalidInput(f"unknown facility type '{type}': use one of "
                           f"{', '.join(FACILITY_TYPES)}")
    params = {"code": None, "type": type, "community_code": community_code,
              "shape": shape, **paging.bbox_params(bbox)}
    return paging.run_filtered_page(session, "facility_list", params,
                                    filters or paging.Filters(), limit=limit, offset=offset)


def get_facility(session: Session, code: str, *, shape: str | None = None
                 ) -> gpd.GeoDataFrame:
    """Facility ``code`` as a one-row frame (columns and ``shape`` of list_facilities)."""
    params = {"code": code, "type": None, "community_code": None, "shape": shape,
              **paging.NO_BBOX}
    frame = paging.run_page(session, "facility_list", params, limit=None, offset=0)
    return paging.one_row(frame, "facility", code)
