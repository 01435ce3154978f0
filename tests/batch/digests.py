"""Digests of assignments (event id → grid and what goes with it; building id → grid) and a
generated set of events for comparing assignment engines."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import frames

EVENTS = """
SELECT count(grid_id) AS assigned, count(*) AS events,
       md5(string_agg(concat(id, ':', coalesce(grid_id::text, '-'), ':',
                             coalesce(grid_version::text, '-'), ':',
                             coalesce(community_code, '-'), ':', coalesce(subdistrict_code, '-'),
                             ':', coalesce(worker_id::text, '-')), ',' ORDER BY id)) AS digest
FROM event
"""
BUILDINGS = """
SELECT count(grid_id) AS assigned,
       md5(string_agg(concat(id, ':', coalesce(grid_id::text, '-')), ',' ORDER BY id)) AS digest
FROM building
"""
UNASSIGN = ("UPDATE event SET grid_id = NULL, grid_version = NULL, community_code = NULL, "
            "subdistrict_code = NULL, worker_id = NULL")


def outcome(session: Session, work: Callable[[], int], digest: str = EVENTS
            ) -> tuple[int, dict]:
    """Run ``work`` in a savepoint, read the digest, roll the savepoint back."""
    nested = session.begin_nested()
    try:
        written = work()
        return written, dict(session.execute(text(digest)).mappings().one())
    finally:
        nested.rollback()


def add_generated_events(session: Session, *, n: int = 20_000, seed: int = 3) -> int:
    """``n`` random events over the current unified grids' box grown by ~200 m, plus one on
    every grid vertex (shared vertices, where the lowest code decides); returns how many were
    added. Not the middles of edges: a computed middle is rarely on the edge but within
    1e-9 m of two grids, where which is nearer is decided by the last bits of two libraries'
    arithmetic (PostGIS's liblwgeom and GEOS), not by a rule."""
    grids = frames.frame_from_sql(session, "SELECT geom FROM grid WHERE theme = 'unified' "
                                           "AND valid_to IS NULL")
    xmin, ymin, xmax, ymax = grids.total_bounds
    rng = np.random.default_rng(seed)
    x = rng.uniform(xmin - 0.002, xmax + 0.002, n)
    y = rng.uniform(ymin - 0.002, ymax + 0.002, n)
    rings = shapely.get_rings(shapely.get_parts(grids.geometry.values))
    xy = np.vstack([np.column_stack([x, y]), shapely.get_coordinates(rings)])
    frame = pd.DataFrame({"code": [f"GEN-{i:07d}" for i in range(len(xy))],
                          "category": "other", "channel": "other", "status": "reported",
                          "geom": shapely.points(xy)})
    frames.copy_frame(session, frame, "event")
    return len(frame)
