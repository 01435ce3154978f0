"""Reading grids with their load figures (households, residents, buildings, area, open events)
and the public contact of their primary grid worker. Geometry in EPSG:4490."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import paging, sql
from gis.core.errors import InvalidInput
from gis.models.admin import GRID_THEMES


def _check_theme(theme: str) -> None:
    if theme not in GRID_THEMES:
        raise InvalidInput(f"unknown grid theme '{theme}': use one of {', '.join(GRID_THEMES)}")


def list_grids(session: Session, *, theme: str = "unified", community_code: str | None = None,
               bbox: str | Sequence[float] | None = None, limit: int | None = None,
               offset: int = 0, scope: str | None = None,
               valid_during: tuple[datetime | None, datetime | None] | None = None,
               filters: paging.Filters | None = None) -> gpd.GeoDataFrame:
    """Current grids of ``theme`` (EPSG:4490) inside region ``scope`` (None: everywhere),
    ordered by code, one page.

    Columns: id, code, name, theme, kind, community_code, community_name, households,
    residents, buildings, area_km2, open_events, not_closed_events (未结案: resolved and
    verified too), locked, version, worker_name, worker_phone, supervision_phone, geom.
    ``bbox`` is lon/lat; ``attrs["number_matched"]`` the total.
    ``valid_during`` (start, end; None for an open end) gives the grids in force at some
    moment of that period instead of now; ``filters`` narrow by output columns.
    """
    params = _list_params(theme, community_code, bbox, scope, valid_during)
    return paging.run_filtered_page(session, "grid_list", params, filters or paging.Filters(),
                                    limit=limit, offset=offset)


def grid_page(session: Session, *, theme: str = "unified", community_code: str | None = None,
              bbox: str | Sequence[float] | None = None, limit: int | None = None,
              offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """``list_grids``' page (current grids, everywhere) as plain rows, geometry as hex EWKB
    (EPSG:4490), and the number matched: what the grid list route answers, without a
    DataFrame (gis.core.frames.feature_collection_json_rows writes it)."""
    params = _list_params(theme, community_code, bbox, None, None)
    return paging.run_page_rows(session, "grid_list", params, limit=limit, offset=offset)


def _list_params(theme: str, community_code: str | None, bbox: str | Sequence[float] | None,
                 scope: str | None,
                 valid_during: tuple[datetime | None, datetime | None] | None
                 ) -> dict[str, Any]:
    _check_theme(theme)
    since, until = valid_during or (None, None)
    if valid_during is not None and since is None and until is None:
        since = datetime(1900, 1, 1, tzinfo=UTC)  # '../..': every grid there ever was
    return {"theme": theme, "community_code": community_code, "code": None,
            "scope": jurisdiction.scope_prefix(scope), **paging.bbox_params(bbox),
            "at_from": since, "at_to": until}


def get_grid(session: Session, code: str, *, theme: str = "unified") -> gpd.GeoDataFrame:
    """The current grid ``code`` of ``theme`` as a one-row frame (columns of list_grids)."""
    _check_theme(theme)
    params = {"theme": theme, "community_code": None, "code": code, "scope": None,
              **paging.NO_BBOX, "at_from": None, "at_to": None}
    frame = paging.run_page(session, "grid_list", params, limit=None, offset=0)
    return paging.one_row(frame, "current grid", code,
                           f" in theme '{theme}' (the theme parameter picks another)")


Box = tuple[float, float, float, float]
"""(min lon, min lat, max lon, max lat), EPSG:4490."""

_EXTENTS: dict[tuple[object, ...], Box | None] = {}
"""Grid boxes this process has read, keyed by (database, grid version, theme, community,
scope): a city's ~8,000 grid boxes cost ~13 ms to read, the version one row."""
_EXTENTS_MAX = 512


def map_extent(session: Session, *, theme: str = "unified", community_code: str | None = None,
               scope: str | None = None) -> Box | None:
    """(min lon, min lat, max lon, max lat), EPSG:4490, of the current grids of ``theme`` and
    the community outlines (of ``community_code`` only when given) inside region ``scope``
    (None: everywhere); None when there are none. Bounding boxes only: what a map page opens
    on, without reading a single vertex. The grids' box is kept in the process per grid
    version (migration 0017's number, changed by every commit that writes grid), so a page
    costs the same at a city as at one 街道; the outlines' box is read each time."""
    _check_theme(theme)
    params = {"theme": theme, "community_code": community_code,
              "scope": jurisdiction.scope_prefix(scope)}
    outlines = session.execute(sql.statement("map_extent_communities"), params).one()
    return _union(_grid_extent(session, params), _box(outlines))


def _grid_extent(session: Session, params: dict[str, str | None]) -> Box | None:
    stamp = session.execute(sql.statement("grid_version")).one()
    key = (stamp.database, stamp.version, *params.values())
    if not stamp.dirty and stamp.version is not None and key in _EXTENTS:
        return _EXTENTS[key]
    row = session.execute(sql.statement("map_extent_grids"), params).one()
    box = _box(row)
    if not row.dirty and row.version is not None:  # else it may hold what is not committed
        if len(_EXTENTS) >= _EXTENTS_MAX:
            _EXTENTS.clear()
        _EXTENTS[(row.database, row.version, *params.values())] = box
    return box


def _box(row: Any) -> Box | None:
    if row.minx is None:
        return None
    return (float(row.minx), float(row.miny), float(row.maxx), float(row.maxy))


def _union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def count_grids(session: Session, *, theme: str = "unified", community_code: str | None = None,
                bbox: str | Sequence[float] | None = None, at_most: int) -> int:
    """How many current grids of ``theme`` (of ``community_code``; None: all) lie in ``bbox``
    (lon/lat, EPSG:4490; None: anywhere), counted up to ``at_most + 1`` only: enough to tell
    "at most ``at_most``" from "more" without reading a city's grids."""
    _check_theme(theme)
    params = {"theme": theme, "community_code": community_code, "cap": at_most + 1,
              **paging.bbox_params(bbox)}
    return int(session.execute(sql.statement("grid_count_capped"), params).scalar_one())
