"""Reading buildings (standard address, floors, households, residents). EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import paging, sql


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


def count_buildings(session: Session, *, community_code: str | None = None,
                    bbox: str | Sequence[float] | None = None, at_most: int) -> int:
    """How many buildings lie in ``bbox`` (lon/lat, EPSG:4490) of ``community_code`` (None:
    all), counted up to ``at_most + 1``: enough to tell "at most ``at_most``" from "more"."""
    params = {"community_code": community_code, "cap": at_most + 1, **paging.bbox_params(bbox)}
    return int(session.execute(sql.statement("building_count_capped"), params).scalar_one())


def get_building(session: Session, code: str, *, scope: str | None = None) -> gpd.GeoDataFrame:
    """Building ``code`` as a one-row frame (columns of list_buildings); NotFound as well when
    it lies outside region ``scope`` (the caller's jurisdiction, None: everywhere)."""
    params = {"code": code, "grid_code": None, "community_code": None,
              "scope": jurisdiction.scope_prefix(scope), **paging.NO_BBOX}
    frame = paging.run_page(session, "building_list", params, limit=None, offset=0)
    return paging.one_row(frame, "building", code)


NEAREST_MAX_M = 150.0
"""How far (geodesic metres) reverse geocoding looks for a building."""


def nearest_building(session: Session, lon: float, lat: float, *, scope: str | None = None,
                     max_m: float = NEAREST_MAX_M) -> dict[str, Any] | None:
    """The building nearest to the EPSG:4490 point ``lon``/``lat`` within ``max_m`` metres
    among those inside region ``scope`` (None: everywhere), or None: building_code, address,
    compound, community_code, distance_m (reverse geocoding; addresses only of the caller's
    region, as ``geocode`` answers them)."""
    row = session.execute(sql.statement("building_nearest"), {
        "lon": lon, "lat": lat, "max_m": max_m,
        "scope": jurisdiction.scope_prefix(scope)}).mappings().first()
    if row is None:
        return None
    return {**row, "distance_m": round(float(row["distance_m"]), 1)}
