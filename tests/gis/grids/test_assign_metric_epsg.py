"""The intake's metric CRS (assign._heard_metric_epsg) follows the grids as they are edited.

An intake takes the grids' Gauss-Kruger zone from this process's memory, keyed by the grid
version the listener heard; a committed grid change that moves the grids into another zone
must give the new zone, and a change rolled back is never kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core import crs, db
from gis.core.settings import Settings
from gis.grids import assign, locate_index
from tests import dbs
from tests.builders import SUBDISTRICT, make_grid, make_region, square


@pytest.fixture(scope="module")
def own_engine(base_settings: Settings) -> Iterator[Engine]:
    """A database of its own, whose grids these tests commit."""
    eng = dbs.migrated_database(base_settings, "metric_epsg")
    yield eng
    dbs.drop_database(base_settings, eng)


def _heard(engine: Engine) -> None:
    """Wait (at most 10 s) until this process's listener has heard the current version."""
    watch = locate_index.watch(engine)
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version FROM locate_version")).scalar_one()
    deadline = time.monotonic() + 10
    while (watch.current() or ("", -1))[1] < current:
        assert time.monotonic() < deadline, "the listener did not hear the commit"
        time.sleep(0.01)


def _both(engine: Engine) -> tuple[int, int]:
    with db.session_scope(engine) as session:
        return assign._heard_metric_epsg(session), assign.grids_metric_epsg(session)


def test_the_zone_follows_committed_grid_moves(own_engine: Engine) -> None:
    with db.session_scope(own_engine) as session:
        make_region(session, code=SUBDISTRICT, level="subdistrict", name="街道")
        make_region(session, code="320706013002", parent_code=SUBDISTRICT, name="西社区")
        make_grid(session, code="G-1", community_code="320706013002",
                  geom=square(119.20, 34.60, 0.01))
    _heard(own_engine)
    east = crs.metric_epsg(119.205, 34.605)
    assert _both(own_engine) == (east, east)
    assert _both(own_engine) == (east, east)  # the second from memory, the same
    with db.session_scope(own_engine) as session:  # the grid moves three zones west
        session.execute(text("UPDATE grid SET geom = ST_Translate(geom, -9, 0)"))
    _heard(own_engine)
    west = crs.metric_epsg(110.205, 34.605)
    assert west != east
    assert _both(own_engine) == (west, west)


def test_a_rolled_back_change_is_never_kept(own_engine: Engine) -> None:
    _heard(own_engine)
    before = _both(own_engine)[1]
    with own_engine.connect() as conn, conn.begin() as tx:
        session = Session(bind=conn)  # measures: no listener for a bare connection
        session.execute(text("UPDATE grid SET geom = ST_Translate(geom, 6, 0)"))
        moved = assign._heard_metric_epsg(session)
        assert moved == assign.grids_metric_epsg(session) != before
        tx.rollback()
    assert _both(own_engine) == (before, before)
