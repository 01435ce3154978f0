"""Which grid a point, an event or a building belongs to.

Rules (the same in ``locate`` and the set-based ``assign_events``):

* Only unified grids count; by default the current ones (``valid_to IS NULL``); with ``at``
  the grids valid then (``valid_from <= at < coalesce(valid_to, infinity)``).
* ``ST_Covers`` semantics: a point on a grid's edge is in that grid. A point covered by
  several grids (a shared edge or vertex) goes to the grid with the **lowest code**, so the
  answer never depends on row order.
* A point outside every grid but within ``MAX_OUTSIDE_M`` (50 m, geodesic) of one goes to the
  nearest grid and is flagged ``outside``; farther out is ``OutsideJurisdiction`` (HTTP 422).
* ``on_boundary`` flags points within ``BOUNDARY_M`` (1 m) of the chosen grid's edge, where a
  GPS fix may well belong to the neighbour.

Distances are geodesic metres (PostGIS geography on the CGCS2000/WGS84 spheroid).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.orm import Session

from gis.core import bulkwrite, crs, dates, db, sql
from gis.core.errors import InvalidCoordinates, OutsideJurisdiction, UnknownCRS
from gis.grids import assign_bulk, locate_index

MAX_OUTSIDE_M = 50.0
"""How far outside the grids a point may be and still go to the nearest grid (metres)."""
BULK_WORK_MEM = "256MB"
"""work_mem for the bulk assignment statement only."""
PIECE_VERTICES = 16
"""Bulk assignment tests points against grids cut into pieces of at most this many vertices
(ST_Subdivide): on 1M demo points 8, 16 and 32 all beat whole grids (EXPLAIN ANALYZE)."""
BULK_EVENTS = 1000
"""From this many event ids on, assignment uses the grid pieces and a temporary table of
picks; fewer use whole grids and one statement."""
REBUILD_MIN_ROWS = 100_000
REBUILD_SHARE = 0.3
"""Bulk assignments writing at least REBUILD_MIN_ROWS events and REBUILD_SHARE of the event
table drop and rebuild its indexes and foreign keys (gis.core.bulkwrite). On 1M demo events
(bench/assign) an in-place write cost about 33 us per written row, a rebuilt one about 5 us
per row plus 8.4 s per million rows in the table to build again: rebuilding pays from about
30 %."""
MEMORY_IDS = 100_000
"""A list of event ids this long (or none: every event) is assigned in memory; the in-memory
path reads every located event, so shorter lists are cheaper in SQL."""
BOUNDARY_M = 1.0
"""A point this close to its grid's edge is flagged ``on_boundary`` (metres)."""


_LONLAT_SPELLINGS = frozenset({"EPSG:4490", "EPSG:4326", "4490", "4326", "OGC:CRS84"})
"""The usual spellings of the lon/lat CRSs taken as they are, known without asking pyproj
(parsing a CRS and naming its authority cost about 0.2 ms, a request's worth of locate)."""


def storage_point(lon: float, lat: float, source_crs: str | None = "EPSG:4490"
                  ) -> tuple[float, float]:
    """One point in ``source_crs`` (EPSG code, 'gcj02', 'bd09') as checked CGCS2000 lon/lat.

    Raises UnknownCRS for an unknown CRS and InvalidCoordinates (swapped lon/lat, outside
    China, not numbers) for a bad point; both answer 422 over HTTP.
    """
    x, y = storage_points(np.array([lon], dtype=float), np.array([lat], dtype=float),
                          source_crs)
    return float(x[0]), float(y[0])


def storage_points(lon: np.ndarray, lat: np.ndarray, source_crs: str | None = "EPSG:4490"
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``storage_point``: arrays in ``source_crs`` to checked CGCS2000 lon/lat.

    InvalidCoordinates names the first bad point (``index`` in its details, 0-based).
    """
    if str(source_crs or "EPSG:4490").strip().upper() in _LONLAT_SPELLINGS:
        x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        _check(x, y, source_crs)
        return x, y
    parsed = crs.parse_crs(source_crs)
    if isinstance(parsed, str):  # gcj02 / bd09: check what the caller sent, then convert
        _check(lon, lat, source_crs)
        x, y = crs.to_storage(lon, lat, parsed)
    elif crs.crs_label(parsed) in ("EPSG:4490", "EPSG:4326", "OGC:CRS84"):
        x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    else:
        x, y = _transformed(parsed, lon, lat, source_crs)
    _check(x, y, source_crs)
    return x, y


def _transformed(parsed: CRS, lon: np.ndarray, lat: np.ndarray, source_crs: str | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = _transformer(parsed.to_wkt()).transform(lon, lat, errcheck=False)
    except (ProjError, CRSError) as exc:  # a vertical or otherwise unconvertible CRS
        raise UnknownCRS(f"CRS '{source_crs}' cannot be converted to lon/lat (EPSG:4490): "
                         "give a geographic or projected 2D CRS such as EPSG:4549") from exc
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _check(lon: np.ndarray, lat: np.ndarray, source_crs: str | None) -> None:
    problems = crs.coordinate_problems(lon, lat)
    bad = np.flatnonzero(problems != "")
    if bad.size:
        i = int(bad[0])
        where = f"point {i + 1}: " if len(problems) > 1 else ""
        raise InvalidCoordinates(
            f"{where}lon={float(lon[i])}, lat={float(lat[i])} ({source_crs or 'EPSG:4490'}): "
            f"{problems[i]}", index=i)


@lru_cache(maxsize=32)
def _transformer(wkt: str) -> Transformer:
    # crs.to_storage compares a pyproj CRS with 'gcj02' (~0.3 s per call), too slow for one
    # point per request; a cached Transformer answers in microseconds
    return Transformer.from_crs(CRS.from_wkt(wkt), CRS.from_epsg(crs.STORAGE_SRID),
                                always_xy=True)


def locate(session: Session, lon: float, lat: float, *, crs: str = "EPSG:4490",
           at: datetime | None = None) -> dict[str, Any]:
    """The grid, community, subdistrict and primary worker of one point.

    ``lon``/``lat`` are in ``crs`` (EPSG:4490/4326, another EPSG code, 'gcj02' or 'bd09');
    the answer's ``lon``/``lat`` are the CGCS2000 point that was located. See the module
    docstring for the rules.
    """
    x, y = storage_point(lon, lat, crs)
    at = dates.check_moment(at, "at")
    if at is None:  # most points: the process's copy of the current grids (locate_index)
        found = locate_index.covering_grid(session, x, y)
        if found is not None:
            return _answer(found, x, y, 0.0, on_boundary=False)
    return locate_in_database(session, x, y, at=at)


def locate_in_database(session: Session, x: float, y: float, *,
                       at: datetime | None = None) -> dict[str, Any]:
    """``locate`` of the CGCS2000 point (x, y) by gis/core/sql/locate.sql alone, every rule
    decided by PostGIS (``locate`` asks gis.grids.locate_index first)."""
    row = session.execute(sql.statement("locate"),
                          {"lon": x, "lat": y, "at": at}).mappings().first()
    if row is None:
        raise OutsideJurisdiction("no grid is in force here: the point cannot be assigned",
                                  lon=x, lat=y)
    distance = float(row["distance_m"])
    if distance > MAX_OUTSIDE_M:
        raise OutsideJurisdiction(
            f"the point is {distance:.0f} m outside the nearest grid ({row['grid_code']}), "
            f"more than {MAX_OUTSIDE_M:.0f} m: it is outside this jurisdiction "
            "(超出辖区范围)", distance_m=round(distance, 2), nearest_grid=row["grid_code"])
    return _answer(row, x, y, distance,
                   on_boundary=float(row["edge_distance_m"]) <= BOUNDARY_M)


def _answer(row: Any, x: float, y: float, distance: float, *,
            on_boundary: bool) -> dict[str, Any]:
    worker = None
    if row["worker_id"] is not None:
        worker = {"name": row["worker_name"], "phone": row["worker_phone"],
                  "duties": row["worker_duties"],
                  "supervision_phone": row["worker_supervision_phone"]}
    return {
        "lon": x, "lat": y,
        "grid": {"id": row["grid_id"], "code": row["grid_code"], "name": row["grid_name"],
                 "version": row["grid_version"], "kind": row["grid_kind"]},
        "community": {"code": row["community_code"], "name": row["community_name"]},
        "subdistrict": {"code": row["subdistrict_code"], "name": row["subdistrict_name"]},
        "worker": worker,
        "on_boundary": on_boundary,
        "outside": distance > 0.0,
        "distance_m": round(distance, 2),
    }


def assign_events(session: Session, event_ids: list[int] | None = None, *,
                  rebuild: bool | None = None, engine: str = "memory") -> int:
    """Assign located events (all, or ``event_ids``) to grid, community, subdistrict, worker.

    Every event, or ``MEMORY_IDS`` ids or more, with ``engine="memory"`` (the default) reads
    the events with one binary COPY, picks in memory with shapely and writes only the
    changed events (gis.grids.assign_bulk; same rules and answers, tests/batch; figures in
    bench/batch). ``engine="sql"`` and shorter lists run the SQL below.

    gis/core/sql/assign_events_pick.sql selects, in one statement with the rules of ``locate``,
    the events whose assignment changes (the grid's version goes with it; events more than
    50 m outside every grid get no grid); one UPDATE writes them. A few events are picked
    and written in the same statement. Bulk work (no ids, or ``BULK_EVENTS`` or more) picks
    into a temporary table first, and when the picks are many (``rebuild`` None: at least
    ``REBUILD_MIN_ROWS`` and ``REBUILD_SHARE`` of the table) writes them with the event
    table's indexes and foreign keys dropped and built again afterwards
    (``gis.core.bulkwrite``; that holds the table's exclusive lock until the transaction ends).
    Returns the number of events whose assignment was written.
    """
    if event_ids is not None and not event_ids:
        return 0
    bulk = event_ids is None or len(event_ids) >= BULK_EVENTS
    metric = grids_metric_epsg(session)
    params = {"ids": event_ids, "reported": None, "max_outside_m": MAX_OUTSIDE_M,
              "metric_srid": metric, "piece_vertices": PIECE_VERTICES if bulk else 1_000_000_000}
    pick = sql.load("assign_events_pick")
    # a million events sort and hash tens of MB: enough work_mem keeps that off disk. JIT
    # off: compiling the statement's ~100 expressions (inlining + optimisation) took
    # seconds on 1M events and saves less than that. Previous values come back afterwards
    # (set_config(..., true) lasts the transaction).
    if not bulk:  # an intake's few events: no settings to change (three round trips)
        written = _execute(session, f"WITH pick AS ({pick}) {_WRITE} FROM pick p {_MATCH}",
                           params)
        session.flush()
        return written
    previous = session.execute(text(
        "SELECT current_setting('work_mem') AS work_mem, current_setting('jit') AS jit"
    )).mappings().one()
    _settings(session, work_mem=BULK_WORK_MEM, jit="off")
    if engine == "memory" and (event_ids is None or len(event_ids) >= MEMORY_IDS):
        written = assign_bulk.assign_events(
            session, event_ids, metric_epsg=metric, max_outside_m=MAX_OUTSIDE_M, rebuild=rebuild,
            rebuild_min_rows=REBUILD_MIN_ROWS, rebuild_share=REBUILD_SHARE)
    else:
        written = _write_bulk(session, pick, params, rebuild)
    _settings(session, **previous)
    session.flush()
    return written


def assign_new_events(session: Session, events: list[tuple[int, datetime]]
                      ) -> dict[int, str | None]:
    """``assign_events`` for a few events inserted in this transaction (none has a grid yet),
    given as (id, reported_at): the unit (community, else subdistrict code) of each event
    that got a grid, by id; an id left out lies more than ``MAX_OUTSIDE_M`` outside every
    grid. One statement (the pick's UPDATE returning its rows), so an intake needs no second
    look at the event table; the reported times let the planner prune the month partitions
    (planning over all of them cost more than running the statement)."""
    if not events:
        return {}
    reported = sorted({at for _, at in events})
    params = {"ids": [i for i, _ in events], "reported": reported,
              "max_outside_m": MAX_OUTSIDE_M, "metric_srid": _heard_metric_epsg(session),
              "piece_vertices": 1_000_000_000}
    bound = text(f"WITH pick AS ({sql.load('assign_events_pick')}) {_WRITE} FROM pick p "
                 f"{_MATCH} AND e.reported_at = ANY(CAST(:reported AS timestamptz[])) "
                 "AND p.grid_id IS NOT NULL "
                 "RETURNING e.id, coalesce(e.community_code, e.subdistrict_code) AS unit"
                 ).bindparams(bindparam("ids", type_=ARRAY(INTEGER)))
    placed = {int(r.id): r.unit for r in session.execute(bound, params)}
    session.flush()
    return placed


_METRIC_EPSG: dict[tuple[str, int], int] = {}
"""grids_metric_epsg by (database, locate version): the grids it is computed from are those
that version numbers (migration 0013 moves it at every commit that changes grids)."""


def _heard_metric_epsg(session: Session) -> int:
    """grids_metric_epsg, from this process's memory when the grid version its listener
    heard last (gis.grids.locate_index) has been measured already: an intake asks for it at
    every event, and the grids' extent changes only with a grid edit. Measured, it is kept
    only under the version the session itself saw (its snapshot may predate what the
    listener heard) and when the session has changed no grids itself."""
    bind = session.get_bind()
    heard = locate_index.watch(bind).current() if isinstance(bind, Engine) else None
    if heard is not None and heard in _METRIC_EPSG:
        return _METRIC_EPSG[heard]
    row = session.execute(text(
        f"SELECT x.*, v.* FROM {_GRID_EXTENT} CROSS JOIN ({sql.load('locate_version')}) v")
    ).one()
    epsg = crs.STORAGE_SRID if row[0] is None else crs.metric_epsg_of(tuple(row[:4]))
    if not row.dirty:
        if len(_METRIC_EPSG) >= 64:  # one entry per grid version: old ones are not asked for
            _METRIC_EPSG.clear()
        _METRIC_EPSG[(row.database, int(row.version))] = epsg
    return epsg


def grids_metric_epsg(session: Session) -> int:
    """``crs.metric_epsg`` of the current unified grids' extent (EPSG:4490 when none)."""
    row = session.execute(text(f"SELECT x.* FROM {_GRID_EXTENT}")).one()
    return crs.STORAGE_SRID if row[0] is None else crs.metric_epsg_of(row)


_GRID_EXTENT = ("(SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                "ST_Extent(geom) AS e FROM grid WHERE theme = 'unified' AND valid_to IS NULL) g) x")
"""The current unified grids' bounds (EPSG:4490) as one row, for a FROM clause."""


_WRITE = ("UPDATE event e SET grid_id = p.grid_id, grid_version = p.grid_version, "
          "community_code = p.community_code, subdistrict_code = p.subdistrict_code, "
          "worker_id = p.worker_id")
_MATCH = "WHERE e.id = p.id"


def _write_bulk(session: Session, pick: str, params: dict[str, Any],
                rebuild: bool | None) -> int:
    """Pick into a temporary table, then write in place or with the indexes rebuilt."""
    session.execute(text("DROP TABLE IF EXISTS assign_pick"))
    picked = _execute(session, f"CREATE TEMP TABLE assign_pick ON COMMIT DROP AS {pick}",
                      params)
    if rebuild is None:
        table_rows = session.execute(text(
            "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'event'::regclass"
        )).scalar()
        rebuild = picked >= REBUILD_MIN_ROWS and picked >= REBUILD_SHARE * float(table_rows or 0)
    with bulkwrite.indexes_rebuilt(session, "event") if rebuild else nullcontext():
        written = _execute(session, f"{_WRITE} FROM assign_pick p {_MATCH}", {})
    session.execute(text("DROP TABLE assign_pick"))
    return written


def _execute(session: Session, statement: str, params: dict[str, Any]) -> int:
    """Run one statement (ids bound as an int array) and return its row count."""
    bound = text(statement)
    if "ids" in params:
        bound = bound.bindparams(bindparam("ids", type_=ARRAY(INTEGER)))
    return db.rowcount(session.execute(bound, params))


def _settings(session: Session, **values: str) -> None:
    """Set run-time settings for the rest of the transaction (set_config(..., true)), all in
    one round trip (an intake runs this twice per event)."""
    calls = ", ".join(f"set_config(:name{i}, :value{i}, true)" for i in range(len(values)))
    params: dict[str, str] = {}
    for i, (name, value) in enumerate(values.items()):
        params |= {f"name{i}": name, f"value{i}": value}
    session.execute(text(f"SELECT {calls}"), params)


def assign_buildings(session: Session, community_code: str | None = None) -> int:
    """Give each building (all, or one community's) the current unified grid holding most of
    its area, in one UPDATE; residents and households follow through their building.

    Returns the number of buildings whose grid changed.
    """
    result = session.execute(text(sql.load("assign_buildings")),
                             {"community": community_code})
    session.flush()
    return db.rowcount(result)


def count_event_assignment(session: Session) -> dict[str, int]:
    """Located events inside a grid (``assigned``) and left outside (``outside``, > 50 m)."""
    row = session.execute(text(
        "SELECT count(*) FILTER (WHERE grid_id IS NOT NULL) AS assigned, "
        "count(*) FILTER (WHERE grid_id IS NULL) AS outside FROM event WHERE geom IS NOT NULL"
    )).mappings().one()
    return {"assigned": int(row["assigned"]), "outside": int(row["outside"])}

