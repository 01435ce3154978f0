"""What every list service shares: bbox parsing, paging checks, running one page of SQL.

A page's frame carries the number of rows matching the filters (before paging) in
``frame.attrs["number_matched"]`` so the API can answer OGC's ``numberMatched``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from gis.core import crs, sql
from gis.core.errors import BadQueryParameter, InvalidInput, NotFound
from gis.core.frames import frame_from_sql, rows_from_sql

BBox = tuple[float, float, float, float]
"""(min lon, min lat, max lon, max lat) in EPSG:4490 (lon/lat)."""

NO_BBOX = {"minlon": None, "minlat": None, "maxlon": None, "maxlat": None}


def parse_bbox(value: str | Sequence[float] | None) -> BBox | None:
    """A checked bbox from 'minlon,minlat,maxlon,maxlat' (or 4 numbers); None passes through.

    Raises InvalidInput unless it is 4 finite numbers, min < max, inside China.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    hint = "bbox must be 'minlon,minlat,maxlon,maxlat' in degrees (EPSG:4490/WGS84)"
    if len(parts) != 4:
        raise InvalidInput(f"{hint}; got {len(parts)} value(s)")
    try:
        minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise InvalidInput(f"{hint}; not all values are numbers") from None
    if not (minlon < maxlon and minlat < maxlat):
        raise InvalidInput(f"{hint}; minimum must be below maximum on both axes")
    crs.check_in_china(np.array([minlon, maxlon]), np.array([minlat, maxlat]))
    return (minlon, minlat, maxlon, maxlat)


def bbox_params(bbox: str | Sequence[float] | None) -> dict[str, float | None]:
    """Bound parameters ``minlon..maxlat`` for ``ST_Intersects(geom, ST_MakeEnvelope(..., 4490))``
    (OGC API and our lists select by intersection, not by envelope overlap)."""
    box = parse_bbox(bbox)
    if box is None:
        return dict(NO_BBOX)
    return dict(zip(("minlon", "minlat", "maxlon", "maxlat"), box, strict=True))


def check_page(limit: int | None, offset: int, *, max_size: int | None = None) -> None:
    """Raise InvalidInput for a negative offset or a limit outside 1..``max_size`` (the app's
    ``Settings.max_page_size``, checked for every route by ``api.deps.check_page_size``;
    None: no upper bound, for callers inside gridmap)."""
    if limit is not None and not 1 <= limit <= (max_size or limit):
        raise InvalidInput(f"limit must be between 1 and {max_size}; got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more; got {offset}")


def run_page(session: Session, name: str, params: dict, *, limit: int | None, offset: int,
             geom_col: str | None = "geom") -> gpd.GeoDataFrame | pd.DataFrame:
    """Run ``gis/core/sql/<name>.sql`` for one page; the SQL returns a ``number_matched`` column.

    The statement must take ``:limit``/``:offset`` (NULL limit = all rows) and compute
    ``count(*) OVER ()`` before paging, so one round trip gives both rows and total.
    """
    check_page(limit, offset)
    query = sql.load(name)
    frame = frame_from_sql(session, query, {**params, "limit": limit, "offset": offset},
                           geom_col=geom_col)
    if len(frame):
        matched = int(frame["number_matched"].iloc[0])
    elif offset == 0:
        matched = 0
    else:
        # a page past the end has no row to carry the total: ask for the first row only
        probe = frame_from_sql(session, query, {**params, "limit": 1, "offset": 0},
                               geom_col=geom_col)
        matched = int(probe["number_matched"].iloc[0]) if len(probe) else 0
    frame = frame.drop(columns=["number_matched"])
    frame.attrs["number_matched"] = matched
    return frame


def run_page_rows(session: Session, name: str, params: dict, *, limit: int | None,
                  offset: int) -> tuple[list[dict[str, Any]], int]:
    """``run_page`` as plain rows (gis.core.frames.rows_from_sql) and the total matched: a
    list route's page of a few rows without a DataFrame (geometry left as hex EWKB)."""
    check_page(limit, offset)
    query = sql.load(name)
    rows = rows_from_sql(session, query, {**params, "limit": limit, "offset": offset})
    if rows:
        matched = int(rows[0]["number_matched"])
    elif offset == 0:
        matched = 0
    else:  # a page past the end: the first row carries the total
        probe = rows_from_sql(session, query, {**params, "limit": 1, "offset": 0})
        matched = int(probe[0]["number_matched"]) if probe else 0
    for row in rows:
        del row["number_matched"]
    return rows, matched


@dataclass(frozen=True)
class Filters:
    """Filters on a list statement's output columns (OGC property filters, datetime).

    ``equal`` maps column → value (compared as text); ``since``/``until`` bound column
    ``time_column`` (inclusive). Column names must come from a fixed list the caller checked
    (the collection's queryables): they are written into SQL as quoted identifiers, the
    values only ever bound."""

    equal: Mapping[str, str] = field(default_factory=dict)
    time_column: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    where: tuple[str, Mapping[str, Any]] | None = None
    """A condition over ``src`` with its bound values (gis.core.cql.where_clause)."""

    def __bool__(self) -> bool:
        return (bool(self.equal) or self.since is not None or self.until is not None
                or self.where is not None)


def run_filtered_page(session: Session, name: str, params: dict, filters: Filters, *,
                      limit: int | None, offset: int, order: str = "code",
                      geom_col: str | None = "geom") -> gpd.GeoDataFrame | pd.DataFrame:
    """``run_page`` with ``filters`` applied to the statement's output: the statement runs
    unpaged inside a CTE, the filters and paging (by ``order``) outside, and
    ``number_matched`` counts the filtered rows. Costs the statement's unpaged run, so the
    narrowing the statement can do itself (bbox, community, scope) belongs in ``params``."""
    if not filters:
        return run_page(session, name, params, limit=limit, offset=offset, geom_col=geom_col)
    check_page(limit, offset)
    columns = tuple(sorted(filters.equal))
    where, where_params = filters.where or (None, {})
    query = _filtered(name, columns, filters.time_column if filters.since else None,
                      filters.time_column if filters.until else None, order, where)
    bound = {**params, "limit": None, "offset": 0, "page_limit": limit, "page_offset": offset,
             "since": filters.since, "until": filters.until,
             **{f"equal_{i}": str(filters.equal[c]) for i, c in enumerate(columns)},
             **where_params}
    try:
        frame = frame_from_sql(session, query, bound, geom_col=geom_col)
    except (DataError, pd.errors.DatabaseError) as exc:  # pandas wraps the database's error
        cause = exc if isinstance(exc, DataError) else exc.__cause__
        if not isinstance(cause, DataError):
            raise
        # a CQL2 literal PostgreSQL cannot read as its property's type ('many' as a number)
        raise BadQueryParameter("filter compares a property with a value of another type "
                                f"({type(cause.orig).__name__})") from None
    matched = int(frame["filtered_matched"].iloc[0]) if len(frame) else 0
    if not len(frame) and offset:
        probe = frame_from_sql(session, query, {**bound, "page_limit": 1, "page_offset": 0},
                               geom_col=geom_col)
        matched = int(probe["filtered_matched"].iloc[0]) if len(probe) else 0
    frame = frame.drop(columns=["number_matched", "filtered_matched"])
    frame.attrs["number_matched"] = matched
    return frame


@cache
def _filtered(name: str, columns: tuple[str, ...], since: str | None, until: str | None,
              order: str, where: str | None) -> str:
    """The filtered, paged wrapper of ``gis/core/sql/<name>.sql`` (built once per shape)."""
    def quoted(column: str) -> str:
        return '"' + column.replace('"', '""') + '"'
    terms = [f"CAST(src.{quoted(c)} AS text) = :equal_{i}" for i, c in enumerate(columns)]
    if since:
        terms.append(f"src.{quoted(since)} >= :since")
    if until:
        terms.append(f"src.{quoted(until)} <= :until")
    if where:
        terms.append(f"({where})")
    inner = sql.load(name).strip().rstrip(";")
    return (f"WITH src AS ({inner})\n"
                f"SELECT src.*, count(*) OVER () AS filtered_matched FROM src\n"
                f"WHERE {' AND '.join(terms)}\n"
                f"ORDER BY src.{quoted(order)} LIMIT :page_limit OFFSET :page_offset")


def one_row(frame: pd.DataFrame, noun: str, code: str, hint: str = "") -> pd.DataFrame:
    """``frame`` when it holds a row, else NotFound naming the noun and code."""
    if frame.empty:
        raise NotFound(f"no {noun} with code '{code}'{hint}")
    return frame
