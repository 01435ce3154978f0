"""Locate from memory: the current unified grids of a database, held in each process.

``locate`` (gis.grids.assign) asks here first for the current grids (no ``at``). The copy
answers while its number is the current locate_version: the number migration 0013's
triggers change at every commit that changes grids, regions or grid workers. A request whose
session is fresh (a server's: nothing read or written yet, bound to an engine) takes that
number from this process's listener (``VersionWatch``: LISTEN gridmap_locate on a connection
of its own; migration 0019 announces each number at its commit), with no database round trip;
a commit is heard within a few milliseconds, so another process's just-committed grid change
may miss a request that arrives in between. Any other session (one inside a transaction,
the tests') reads the row itself (gis/core/sql/locate_version.sql), which also tells whether
the transaction has changed grids itself. While the listener is not connected, every
request reads the row. With the current number, the point is looked up in an STRtree of the
grids (EPSG:4490 lon/lat, shapely ``covers``: the edge counts, as ``ST_Covers``); otherwise the
copy is built again first (gis/core/sql/locate_index.sql, one statement, so grids and number
come from one snapshot). The copy answers only where it cannot differ from PostGIS: a point
covered by a grid and, by a lower bound of its geodesic distance, more than ``MARGIN_M`` from
the edge of every grid near it. Everything else (points on or near an edge, where two
engines' rounding could part and ``on_boundary`` needs geodesic metres; points outside every
grid, which go to the nearest one by geodesic distance; a transaction that has changed grids
itself) returns None, and locate runs its SQL. tests/gis/grids/test_locate_index.py compares
the two on the demo's grids, their edges, vertices and surroundings.
"""

from __future__ import annotations

import contextvars
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import shapely
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core import notify, sql

MARGIN_M = 1.2
"""Points nearer than this to a nearby grid's edge are left to PostGIS: BOUNDARY_M (1 m, where
``on_boundary`` starts) and 20 cm more. The distance compared is a lower bound (at least
0.5 % under the geodesic metres, M_PER_DEGREE_MIN), so a point answered from memory is more
than 1.2 m from every edge near it, far beyond any rounding of the two engines. It was
2.0 m: every point within about 2.5 m of an edge, 2.7 % of random points over the demo's
grids, took the database path, which set the p99 of locate under load."""
M_PER_DEGREE_MIN = 110_000.0
"""A lower bound of the metres in one degree of latitude (110,574 m at the equator) and,
times cos(latitude), of longitude (111,319 m × cos): degrees × this × cos(lat) ≤ metres."""


@dataclass(frozen=True)
class GridIndex:
    """The current unified grids of one database at one ``version`` (EPSG:4490), code order."""

    database: str
    version: int
    tree: shapely.STRtree
    grids: np.ndarray
    edges: np.ndarray
    rows: tuple[dict[str, Any], ...]

    def covering(self, x: float, y: float) -> dict[str, Any] | None:
        """The row of the lowest-coded grid covering (x, y) when every grid near the point
        has its edge more than MARGIN_M away; else None."""
        point = shapely.Point(x, y)
        near = self.tree.query(point)
        if near.size == 0:
            return None
        metres = shapely.distance(self.edges[near], point) * M_PER_DEGREE_MIN * math.cos(
            math.radians(min(abs(y) + 0.01, 90.0)))
        if bool((metres <= MARGIN_M).any()):
            return None
        inside = near[shapely.covers(self.grids[near], point)]
        return self.rows[int(inside.min())] if inside.size else None


_INDEXES: dict[str, GridIndex] = {}
_BUILDING = threading.Lock()
CHANNEL = "gridmap_locate"
CHECK_S = 5.0
"""The listener also reads the number itself this often (and so notices a dead connection)."""
RETRY_S = 1.0
log = logging.getLogger(__name__)


class VersionWatch:
    """The current locate_version of one database as this process's listener last heard it
    (a daemon thread with a connection of its own, outside the pool); ``current()`` is None
    while it is not listening (starting, reconnecting, or a database without migration 0019)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._known: tuple[str, int] | None = None
        threading.Thread(target=self._run, name="locate-version-watch", daemon=True).start()

    def current(self) -> tuple[str, int] | None:
        """(database, locate_version) heard last, or None."""
        return self._known

    def _run(self) -> None:
        while True:
            try:
                if not self._listen():
                    return  # no NOTIFY in this database's triggers: never a fast path
            except Exception as exc:  # any failure: read the row per request, retry
                log.info("locate version listener reconnecting: %s", type(exc).__name__)
            self._known = None
            time.sleep(RETRY_S)

    def _listen(self) -> bool:
        with notify.listening(self._engine, CHANNEL, "gm_locate_bump") as listener:
            if listener is None:
                return False
            conn, cur = listener
            try:
                while True:  # read after LISTEN: no number committed in between is missed
                    cur.execute("SELECT current_database(), version FROM locate_version")
                    database, version = cur.fetchone()
                    self._known = (database, int(version))
                    for batch in notify.payloads(conn, CHECK_S):
                        known = self._known
                        if batch and known is not None:
                            self._known = (database, max(known[1], *map(int, batch)))
            finally:
                self._known = None


_WATCHES: notify.Watchers[VersionWatch] = notify.Watchers(VersionWatch)


def watch(engine: Engine) -> VersionWatch:
    """This process's listener on ``engine``'s database (started on first use; one per
    database URL)."""
    return _WATCHES.of(engine)


T = TypeVar("T")
_MEMORY_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("locate_memory_only",
                                                                    default=False)


class _NeedsDatabase(Exception):
    """Raised by covering_grid under ``from_memory`` before it would touch the database."""


def from_memory(locate: Callable[[], T]) -> T | None:
    """``locate()`` (a call of gis.grids.assign.locate for the current grids) answered from
    this process's copy with no database I/O, or None when it needs the database: a server
    calls it on its event loop and, on None, calls locate again on a thread."""
    token = _MEMORY_ONLY.set(True)
    try:
        return locate()
    except _NeedsDatabase:
        return None
    finally:
        _MEMORY_ONLY.reset(token)


def _heard(session: Session) -> GridIndex | None:
    """This process's copy when ``session`` is fresh and the copy is at the version the
    listener heard last (then it may answer, or send the point to PostGIS, with no read of
    the version); None when that cannot be known without the database. No I/O."""
    bind = session.get_bind()
    if session.in_transaction() or not isinstance(bind, Engine):
        return None
    known = watch(bind).current()
    index = None if known is None else _INDEXES.get(known[0])
    if index is None or known is None or index.version != known[1]:
        return None
    return index


def covering_grid(session: Session, x: float, y: float) -> dict[str, Any] | None:
    """The answer row (locate.sql's columns but the distances) of the current unified grid
    clearly covering the EPSG:4490 point (x, y), from this process's copy of the grids
    brought up to date first; None when PostGIS must decide (see the module docstring)."""
    index = _heard(session)
    if index is not None:
        found = index.covering(x, y)
        if found is not None or not _MEMORY_ONLY.get():
            return found  # None: PostGIS decides, the copy being current needs no read
    if _MEMORY_ONLY.get():
        raise _NeedsDatabase
    state = session.execute(sql.statement("locate_version")).one_or_none()
    if state is None or state.dirty:
        return None
    index = _INDEXES.get(state.database)
    if index is None or index.version != state.version:
        index = _build(session, state.database, int(state.version))
    return None if index is None else index.covering(x, y)


def _build(session: Session, database: str, version: int) -> GridIndex | None:
    """This process's copy of ``database``'s grids at ``version`` or later (one build at a
    time; a thread that waited finds the copy another one built)."""
    with _BUILDING:
        index = _INDEXES.get(database)
        if index is not None and index.version >= version:
            return index
        rows = [dict(r) for r in session.execute(sql.statement("locate_index")).mappings()]
        if not rows:
            return None
        # not shapely.prepare()d: request threads share the copy, shapely releases the GIL
        # in predicates, and GEOS's prepared geometries are not thread-safe (libgeos#825)
        grids = shapely.from_wkb([bytes(r.pop("wkb")) for r in rows])
        index = GridIndex(database=database, version=int(rows[0].pop("version")),
                          tree=shapely.STRtree(grids), grids=grids,
                          edges=shapely.boundary(grids), rows=tuple(rows))
        for r in rows[1:]:
            del r["version"]
        _INDEXES[database] = index
        return index
