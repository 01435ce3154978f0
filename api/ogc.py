"""OGC API – Features collections and their query parameters (Parts 1 and 2 of the standard).

Each collection names its read service, its queryable properties, its geometry type and its
time (grids: their validity; events: the report time). Query parameters are checked against
the standard's list plus the collection's queryables: anything else is a 400, as Part 1's
``/req/core/query-param-unknown`` asks. Output CRS (Part 2): CRS84 (lon/lat, the default),
EPSG:4490 and EPSG:4326 (lat/lon, their axis order) and the CGCS2000 3-degree Gauss-Kruger
zones EPSG:4534–4554 (northing, easting).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.core import cql, dates, paging
from gis.core.crs import STORAGE_SRID
from gis.core.errors import BadQueryParameter, InvalidInput
from gis.events import queries as event_queries
from gis.grids import registry
from gis.places import buildings, facilities, regions

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
OUTPUT_EPSG = (STORAGE_SRID, 4326, *range(4534, 4555))
"""CGCS2000, WGS84 and the CGCS2000 3-degree Gauss-Kruger zones (75°E … 135°E)."""
SUPPORTED_CRS = (CRS84, *(EPSG_URI.format(code) for code in OUTPUT_EPSG))
STANDARD_PARAMS = frozenset({"bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "f",
                             "key", "filter", "filter-lang", "filter-crs"})
"""Part 1 and 2 parameters, ``f`` (format; json only) and ``key`` (an API key for clients
that cannot send headers, masked in logs: api/logmask.py)."""
DEFAULT_LIMIT = 10
OPEN_ENDS = ("0000-01-01", "9999-12-31")
"""Interval ends taken for ``..``: QGIS 3.22 turns a subset string such as
``"reported_at" >= '2026-10-01T00:00:00Z'`` into ``datetime=2026-10-01T00:00:00Z/9999-12-31T…``
(and ``<=`` into ``0000-01-01T…/…``), dates outside the range gridmap accepts."""


@dataclass(frozen=True)
class Collection:
    """One collection: its description, read services and what may be asked of it."""

    title: str
    description: str
    list_items: Callable[..., gpd.GeoDataFrame]  # (session, caller, query) -> frame
    get_item: Callable[..., gpd.GeoDataFrame]  # (session, caller, code) -> one-row frame
    geometry: str  # the GeoJSON geometry type of every feature (as its column holds it)
    queryables: Mapping[str, str] = field(default_factory=dict)  # property -> JSON type
    keyed: bool = False
    temporal: str | None = None  # "validity" (grids) or an output column of time


@dataclass(frozen=True)
class ItemQuery:
    """A checked items request: bbox in lon/lat (EPSG:4490), paging, filters, time."""

    bbox: tuple[float, float, float, float] | None
    limit: int
    offset: int
    equal: dict[str, str]
    during: tuple[datetime | None, datetime | None] | None
    where: tuple[str, dict[str, Any]] | None = None

    def filters(self, time_column: str | None = None) -> paging.Filters:
        since, until = self.during or (None, None)
        return paging.Filters(equal=self.equal, time_column=time_column,
                              since=since if time_column else None,
                              until=until if time_column else None, where=self.where)


def _grids(session: Session, caller: Caller, q: ItemQuery) -> gpd.GeoDataFrame:
    return registry.list_grids(session, bbox=q.bbox, limit=q.limit, offset=q.offset,
                               valid_during=q.during, filters=q.filters())


def _regions(session: Session, caller: Caller, q: ItemQuery) -> gpd.GeoDataFrame:
    return regions.list_regions(session, bbox=q.bbox, limit=q.limit, offset=q.offset,
                                filters=q.filters())


def _facilities(shape: str) -> Callable[..., gpd.GeoDataFrame]:
    def list_items(session: Session, caller: Caller, q: ItemQuery) -> gpd.GeoDataFrame:
        return facilities.list_facilities(session, bbox=q.bbox, limit=q.limit,
                                          offset=q.offset, shape=shape, filters=q.filters())
    return list_items


def _buildings(session: Session, caller: Caller, q: ItemQuery) -> gpd.GeoDataFrame:
    return buildings.list_buildings(session, bbox=q.bbox, limit=q.limit, offset=q.offset,
                                    scope=caller.scope, filters=q.filters())


def _events(session: Session, caller: Caller, q: ItemQuery) -> gpd.GeoDataFrame:
    return event_queries.list_events(session, bbox=q.bbox, limit=q.limit, offset=q.offset,
                                     open_only=True, scope=caller.scope,
                                     filters=q.filters("reported_at"))


def _event(session: Session, caller: Caller, code: str) -> gpd.GeoDataFrame:
    frame = event_queries.list_events(session, open_only=True, scope=caller.scope, limit=1,
                                      filters=paging.Filters(equal={"code": code}))
    return paging.one_row(frame, "open event", code)


COLLECTIONS: dict[str, Collection] = {
    "grids": Collection(
        "网格 Grids", "unified grids with load figures and the grid worker's public contact; "
        "datetime picks the grids in force then", _grids,
        lambda s, c, code: registry.get_grid(s, code), "MultiPolygon",
        {"code": "string", "name": "string", "kind": "string", "community_code": "string",
         "community_name": "string", "households": "integer", "residents": "integer",
         "buildings": "integer", "area_km2": "number"}, temporal="validity"),
    "regions": Collection(
        "行政区划 Admin units", "district, subdistricts and communities", _regions,
        lambda s, c, code: regions.get_region(s, code), "MultiPolygon",
        {"code": "string", "name": "string", "level": "string", "parent_code": "string"}),
    "facilities": Collection(
        "设施 Facilities (points)", "every facility as a point (a facility with an outline by "
        "a point on its surface): party centres, clinics, elderly care, schools, shelters…",
        _facilities("point"), lambda s, c, code: facilities.get_facility(s, code, shape="point"),
        "Point", {"code": "string", "name": "string", "type": "string", "level": "string",
                  "community_code": "string"}),
    "facility_areas": Collection(
        "设施范围 Facility outlines", "the facilities that have an outline, as polygons",
        _facilities("area"), lambda s, c, code: facilities.get_facility(s, code, shape="area"),
        "Polygon", {"code": "string", "name": "string", "type": "string", "level": "string",
                    "community_code": "string"}),
    "buildings": Collection(
        "建筑 Buildings", "buildings with standard addresses (API key needed)", _buildings,
        lambda s, c, code: buildings.get_building(s, code, scope=c.scope), "MultiPolygon",
        {"code": "string", "address": "string", "compound": "string", "use": "string",
         "community_code": "string", "grid_code": "string", "floors": "integer",
         "households": "integer"}, keyed=True),
    "events": Collection(
        "未结事件 Open events", "events not yet resolved, personal data masked (API key "
        "needed); datetime selects by report time", _events, _event, "Point",
        {"code": "string", "category": "string", "status": "string", "channel": "string",
         "community_code": "string", "grid_code": "string"}, keyed=True,
        temporal="reported_at"),
}


def item_query(collection: Collection, params: Mapping[str, str], *,
               max_limit: int) -> ItemQuery:
    """The checked parameters of an items request (BadQueryParameter, a 400, otherwise)."""
    unknown = sorted(set(params) - STANDARD_PARAMS - set(collection.queryables))
    if unknown:
        raise BadQueryParameter(
            f"unknown query parameter {', '.join(repr(u) for u in unknown)}: use "
            f"{', '.join(sorted(STANDARD_PARAMS - {'key'}))} or a queryable property "
            f"({', '.join(collection.queryables) or 'none'})")
    try:
        during = _interval(params["datetime"]) if "datetime" in params else None
        if during is not None and collection.temporal is None:
            raise BadQueryParameter("this collection has no time: leave out datetime")
        return ItemQuery(bbox=_bbox(params), limit=_limit(params.get("limit"), max_limit),
                         offset=_whole(params.get("offset"), "offset", 0),
                         equal={k: v for k, v in params.items() if k in collection.queryables},
                         during=during, where=_cql(collection, params))
    except InvalidInput as exc:
        raise BadQueryParameter(exc.message) from None


def _interval(value: str) -> tuple[datetime | None, datetime | None]:
    """``datetime`` as (start, end); an interval end on 0000-01-01 or 9999-12-31 is open."""
    if "/" in value:
        value = "/".join(".." if end.strip().startswith(OPEN_ENDS) else end
                         for end in value.split("/", 1))
    return dates.parse_interval(value)


def _cql(collection: Collection, params: Mapping[str, str]) -> tuple[str, dict] | None:
    """The CQL2 ``filter`` (text or JSON per ``filter-lang``; geometry in CRS84)."""
    if "filter" not in params:
        return None
    if params.get("filter-crs", CRS84) != CRS84:
        raise BadQueryParameter(f"filter-crs: only {CRS84} is offered")
    return cql.where_clause(params["filter"], lang=params.get("filter-lang", "cql2-text"),
                            queryables=collection.queryables)


def _whole(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.strip().isdigit():
        raise BadQueryParameter(f"{name} must be a whole number of 0 or more; got '{value[:20]}'")
    return int(value)


def _limit(value: str | None, max_limit: int) -> int:
    """``limit`` (default 10), clamped to ``max_limit`` as Part 1 permits; 0 is a 400."""
    limit = _whole(value, "limit", DEFAULT_LIMIT)
    if limit < 1:
        raise BadQueryParameter("limit must be 1 or more")
    return min(limit, max_limit)


def _bbox(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    """``bbox`` as lon/lat (EPSG:4490), converted from ``bbox-crs`` (its axis order)."""
    if "bbox" not in params:
        if "bbox-crs" in params:
            raise BadQueryParameter("bbox-crs needs bbox")
        return None
    source = params.get("bbox-crs", CRS84)
    values = [v.strip() for v in params["bbox"].split(",")]
    if len(values) != 4:
        raise BadQueryParameter("bbox must be four numbers: lower corner, upper corner")
    try:
        a, b, c, d = (float(v) for v in values)
    except ValueError:
        raise BadQueryParameter("bbox must be four numbers: lower corner, upper corner") \
            from None
    if source != CRS84:
        a, b, c, d = _transformer(output_crs(source), CRS84, ).transform_bounds(a, b, c, d)
    return paging.parse_bbox((a, b, c, d))


def output_crs(uri: str | None) -> str:
    """The checked ``crs``/``bbox-crs`` URI (CRS84 when None); a 400 for one not offered."""
    if uri is None:
        return CRS84
    if uri not in SUPPORTED_CRS:
        raise BadQueryParameter(f"CRS '{uri[:80]}' is not offered: use one of "
                                f"{CRS84}, {EPSG_URI.format('4490')}, … (see the "
                                "collection's crs list)")
    return uri


@cache
def _crs(uri: str) -> CRS:
    try:
        return CRS.from_user_input("OGC:CRS84" if uri == CRS84 else
                                   f"EPSG:{uri.rsplit('/', 1)[1]}")
    except CRSError as exc:  # pragma: no cover - every offered URI is known to PROJ
        raise BadQueryParameter(f"CRS '{uri}' is unknown to PROJ") from exc


@cache
def _transformer(source: str, target: str) -> Transformer:
    """Coordinates in ``source``'s axis order to ``target``'s (always_xy=False: the CRS's
    own axis order, which Part 2 asks for: lat/lon for EPSG:4490, north/east for GK)."""
    return Transformer.from_crs(_crs(source), _crs(target), always_xy=False)


def reproject(frame: gpd.GeoDataFrame, uri: str) -> gpd.GeoDataFrame:
    """``frame`` (EPSG:4490 held as lon/lat) with coordinates in ``uri``'s axis order."""
    if uri == CRS84 or frame.empty:
        return frame
    move = _transformer(CRS84, uri)

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(move.transform(xy[:, 0], xy[:, 1]))
    out = frame.copy()
    out.geometry = gpd.GeoSeries(shapely.transform(frame.geometry.values, convert),
                                 index=frame.index)
    return out


def describe_extent(box: tuple[float, float, float, float] | None, start: datetime | None,
                    end: datetime | None, temporal: bool) -> dict[str, Any]:
    """A collection's ``extent`` object (spatial in CRS84; temporal when it has time)."""
    extent: dict[str, Any] = {"spatial": {"bbox": [list(box)] if box else [], "crs": CRS84}}
    if temporal:
        extent["temporal"] = {"interval": [[_iso(start), _iso(end)]],
                              "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return extent


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def now_iso() -> str:
    """The response's ``timeStamp``."""
    return datetime.now(UTC).isoformat(timespec="seconds")
