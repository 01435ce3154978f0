"""Locate from memory: the current unified grids of a database, held in each process.

``locate`` (gis.grids.assign) asks here first for the current grids (no ``at``). Each request
reads one small row (gis/core/sql/locate_version.sql): the database and the number migration
0010's triggers change at every commit that changes grids, regions or grid workers. While
that number is the one the copy was built at, the point is looked up in an STRtree of the
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

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from gis.core import sql

MARGIN_M = 2.0
"""Points nearer than this to a nearby grid's edge are left to PostGIS (twice BOUNDARY_M)."""
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


def covering_grid(session: Session, x: float, y: float) -> dict[str, Any] | None:
    """The answer row (locate.sql's columns but the distances) of the current unified grid
    clearly covering the EPSG:4490 point (x, y), from this process's copy of the grids
    brought up to date first; None when PostGIS must decide (see the module docstring)."""
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
