"""Write batch picks back in the caller's transaction: binary COPY into a temporary table,
one UPDATE of the rows that change (events: gis.grids.assign_bulk's writer, with the event
table's indexes rebuilt when most of it changes)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import db, sql
from gis.grids import assign, assign_bulk


def events(session: Session, ids: npt.NDArray[np.int64], grid_ids: npt.NDArray[np.int64]
           ) -> int:
    """Write events' grids (-1: none) with version, community, subdistrict and worker."""
    previous = session.execute(text("SELECT current_setting('jit')")).scalar()
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    written = assign_bulk.write_picks(session, ids, grid_ids,
                                      rebuild_min_rows=assign.REBUILD_MIN_ROWS,
                                      rebuild_share=assign.REBUILD_SHARE)
    session.execute(text("SELECT set_config('jit', :v, true)"), {"v": previous})
    return written


def buildings(session: Session, ids: npt.NDArray[np.int64], grid_ids: npt.NDArray[np.int64]
              ) -> int:
    """Write buildings' grids (-1: none); residents and households follow."""
    if len(ids) == 0:
        return 0
    session.execute(text("DROP TABLE IF EXISTS batch_pick"))
    session.execute(text("CREATE TEMP TABLE batch_pick (id int8 PRIMARY KEY, grid_id int8) "
                         "ON COMMIT DROP"))
    assign_bulk.copy_in(session, "COPY batch_pick FROM STDIN (FORMAT binary)",
                        assign_bulk.binary_pairs(ids, grid_ids))
    written = db.rowcount(session.execute(sql.statement("batch_buildings_write")))
    session.execute(text("DROP TABLE batch_pick"))
    return written
