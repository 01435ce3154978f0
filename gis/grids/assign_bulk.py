"""Bulk assignment of events in memory: read with one binary COPY, pick with shapely, write
only the events whose assignment changes.

The rules are gis.grids.assign's (gis.grids.picking decides them with the same GEOS
predicates PostGIS uses); the write is gis/core/sql/assign_events_write.sql from a temporary
table filled by a binary COPY, with the event table's indexes rebuilt when most of it changes
(gis.core.bulkwrite). Everything runs in the caller's transaction. Lon/lat are EPSG:4490.
"""

from __future__ import annotations

import io
import struct
from contextlib import nullcontext
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import bulkwrite, db, sql
from gis.grids import picking

_READ = np.dtype([("n", ">i2"), ("l_id", ">i4"), ("id", ">i8"), ("l_x", ">i4"), ("x", ">f8"),
                  ("l_y", ">i4"), ("y", ">f8"), ("l_grid", ">i4"), ("grid", ">i8"),
                  ("l_cur", ">i4"), ("current", "?")])
_NATIVE = np.dtype([("id", "i8"), ("x", "f8"), ("y", "f8"), ("grid", "i8"), ("current", "?")])
_WRITE = np.dtype([("n", ">i2"), ("l_id", ">i4"), ("id", ">i8"), ("l_grid", ">i4"),
                   ("grid", ">i8")])
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
GRIDS_SQL = ("SELECT id, code, ST_AsBinary(geom) AS wkb FROM grid "
             "WHERE theme = 'unified' AND valid_to IS NULL")


def _raw(session: Session) -> Any:
    """The psycopg2 connection under the session (copy_expert is not in the DBAPI)."""
    return session.connection().connection.dbapi_connection


def read_events(session: Session) -> npt.NDArray[Any]:
    """Every located event: id, x, y (EPSG:4490), grid (-1 none), current (bool)."""
    buf = io.BytesIO()
    raw = _raw(session)
    with raw.cursor() as cur:
        cur.copy_expert(f"COPY ({sql.load('assign_events_read')}) TO STDOUT (FORMAT binary)",
                        buf)
    data = buf.getbuffer()
    flags_len = struct.unpack_from(">i", data, 15)[0]
    start = 19 + flags_len
    count = (len(data) - start - len(_TRAILER)) // _READ.itemsize
    rows = np.frombuffer(data, dtype=_READ, count=count, offset=start)
    return rows[["id", "x", "y", "grid", "current"]].astype(_NATIVE)


def read_grids(session: Session) -> picking.Grids:
    """The current unified grids (EPSG:4490) in code order."""
    rows = session.execute(text(GRIDS_SQL)).all()
    return picking.Grids.of([r.id for r in rows], [r.code for r in rows],
                            shapely.from_wkb([bytes(r.wkb) for r in rows]))


def binary_pairs(ids: npt.NDArray[np.int64], values: npt.NDArray[np.int64]) -> bytes:
    """COPY ... (FORMAT binary) data of rows (int8, int8)."""
    rows = np.zeros(len(ids), dtype=_WRITE)
    rows["n"], rows["l_id"], rows["l_grid"] = 2, 8, 8
    rows["id"], rows["grid"] = ids, values
    return _HEADER + rows.tobytes() + _TRAILER


def copy_in(session: Session, statement: str, data: bytes) -> None:
    """Run ``COPY ... FROM STDIN`` with ``data`` on the session's connection."""
    with _raw(session).cursor() as cur:
        cur.copy_expert(statement, io.BytesIO(data))


def write_picks(session: Session, ids: npt.NDArray[np.int64], grid_ids: npt.NDArray[np.int64],
                *, rebuild: bool | None = None, rebuild_min_rows: int = 100_000,
                rebuild_share: float = 0.3) -> int:
    """Write grid ids (-1: none) of events ``ids`` with their version, community, subdistrict
    and worker; COPY into a temporary table, one UPDATE (indexes rebuilt when ``rebuild``, or
    when None and the rows are many: see gis.grids.assign)."""
    if len(ids) == 0:
        return 0
    session.execute(text("DROP TABLE IF EXISTS assign_pick"))
    session.execute(text("CREATE TEMP TABLE assign_pick (id int8 PRIMARY KEY, grid_id int8) "
                         "ON COMMIT DROP"))
    copy_in(session, "COPY assign_pick FROM STDIN (FORMAT binary)", binary_pairs(ids, grid_ids))
    session.execute(text("ANALYZE assign_pick"))
    if rebuild is None:
        table_rows = session.execute(text(
            "SELECT greatest(sum(greatest(c.reltuples, 0)), 0) FROM pg_class c "
            "WHERE c.oid = 'event'::regclass OR c.oid IN "
            "(SELECT inhrelid FROM pg_inherits WHERE inhparent = 'event'::regclass)")).scalar()
        rebuild = len(ids) >= rebuild_min_rows and len(ids) >= rebuild_share * float(
            table_rows or 0)
    with bulkwrite.indexes_rebuilt(session, "event") if rebuild else nullcontext():
        written = db.rowcount(session.execute(sql.statement("assign_events_write")))
    session.execute(text("DROP TABLE assign_pick"))
    return written


def changed(events: npt.NDArray[Any], grid_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Events whose assignment a pick of ``grid_ids`` changes (grid, or what goes with it)."""
    return (events["grid"] != grid_ids) | ~events["current"]


def assign_events(session: Session, event_ids: list[int] | None = None, *, metric_epsg: int,
                  max_outside_m: float, rebuild: bool | None = None, **limits: Any) -> int:
    """Assign located events (all, or ``event_ids``) in memory; returns the rows written."""
    events = read_events(session)
    if event_ids is not None:
        events = events[np.isin(events["id"], np.asarray(event_ids, dtype=np.int64))]
    grids = read_grids(session)
    index, _ = picking.point_grids(events["x"], events["y"], grids, metric_epsg=metric_epsg,
                                   max_outside_m=max_outside_m)
    grid_ids = grids.grid_ids(index)
    moved = changed(events, grid_ids)
    return write_picks(session, events["id"][moved], grid_ids[moved], rebuild=rebuild,
                       **limits)
