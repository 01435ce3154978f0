"""Locate from memory (gis.grids.locate_index) gives PostGIS's answers, and follows commits.

Every point is located twice: ``assign.locate`` (the process's copy of the grids first) and
``assign.locate_in_database`` (gis/core/sql/locate.sql alone). The demo's 63 current grids
share edges and vertices, so the points include each grid's vertices, points along its edges,
points a little inside and outside them, the gaps between grids and beyond the district.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from gis.core import db
from gis.core.errors import OutsideJurisdiction
from gis.core.settings import Settings
from gis.grids import assign, locate_index
from tests import dbs
from tests.builders import SUBDISTRICT, make_grid, make_region, make_worker, square

DEMO_GRIDS = ("SELECT ST_AsBinary(geom) FROM grid WHERE theme = 'unified' "
              "AND valid_to IS NULL ORDER BY code")


def _answer(session: Session, x: float, y: float, *, memory: bool) -> Any:
    try:
        if memory:
            return assign.locate(session, x, y)
        return assign.locate_in_database(session, x, y)
    except OutsideJurisdiction as exc:
        return ("outside", exc.message)


def _edge_points(grids: list[Any]) -> np.ndarray:
    """Vertices, and points along and near the grids' edges (0.2 m to 5 m off, both sides;
    about 92 km to a degree of longitude here), EPSG:4490 lon/lat."""
    parts: list[np.ndarray] = [shapely.get_coordinates(grids)[::4]]
    for ring in shapely.get_parts(shapely.boundary(grids))[::4]:
        along = shapely.line_interpolate_point(ring, np.linspace(0, 1, 12), normalized=True)
        parts.append(shapely.get_coordinates(along))
        for metres in (0.2, 0.9, 1.1, 1.9, 2.5, 5.0):
            for side in (metres, -metres):
                off = shapely.offset_curve(ring, side / 92_000)
                pts = shapely.line_interpolate_point(off, np.linspace(0, 1, 5), normalized=True)
                parts.append(shapely.get_coordinates(pts))
    return np.vstack(parts)


def _compared(session: Session, points: np.ndarray) -> int:
    """Assert both ways agree at every point; the number answered from memory."""
    from_memory = 0
    for x, y in points.tolist():
        assert _answer(session, x, y, memory=True) == _answer(session, x, y, memory=False), \
            (x, y)
        found = locate_index.covering_grid(session, x, y)
        if found is not None:
            from_memory += 1
            exact = assign.locate_in_database(session, x, y)
            assert exact["grid"]["code"] == found["grid_code"] and not exact["on_boundary"]
    return from_memory


def test_memory_gives_postgis_answers_on_the_demo(demo_session: Session) -> None:
    grids = list(shapely.from_wkb([bytes(r[0]) for r in demo_session.execute(text(DEMO_GRIDS))]))
    _compared(demo_session, _edge_points(grids))
    # random points over the grids' extent grown by about 100 m: most are answered from
    # memory (the rest are near an edge, in a gap or outside)
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = shapely.total_bounds(grids) + np.array([-1e-3, -1e-3, 1e-3, 1e-3])
    spread = np.column_stack([rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)])
    inside = shapely.covers(shapely.union_all(grids), shapely.points(spread))
    from_memory = _compared(demo_session, spread)
    assert 0.9 * inside.sum() < from_memory <= inside.sum() < len(spread)


def test_points_near_an_edge_or_outside_are_left_to_postgis(session: Session) -> None:
    make_region(session, code=SUBDISTRICT, level="subdistrict")
    make_region(session, code="320706013002", parent_code=SUBDISTRICT)
    session.commit()  # a savepoint of the test's transaction: still uncommitted, so dirty
    assert locate_index.covering_grid(session, 119.205, 34.605) is None
    west = make_grid(session, code="G-1", community_code="320706013002",
                     geom=square(119.20, 34.60, 0.01))
    make_worker(session, name="王五", grids=[west])
    assert assign.locate(session, 119.205, 34.605)["grid"]["code"] == "G-1"  # by SQL


@pytest.fixture(scope="module")
def own_engine(base_settings: Settings) -> Iterator[Engine]:
    """A database of its own, whose grids these tests commit."""
    eng = dbs.migrated_database(base_settings, "locate_index")
    yield eng
    dbs.drop_database(base_settings, eng)


def _heard(engine: Engine) -> None:
    """Wait (at most 10 s) until this process's listener has heard the current version: a
    fresh session answers from memory at the version the listener heard last, and a commit
    is heard a few milliseconds after it."""
    watch = locate_index.watch(engine)
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version FROM locate_version")).scalar_one()
    deadline = time.monotonic() + 10
    while (watch.current() or ("", -1))[1] < current:
        assert time.monotonic() < deadline, "the listener did not hear the commit"
        time.sleep(0.01)


def test_a_committed_change_reaches_the_copy(own_engine: Engine) -> None:
    with db.session_scope(own_engine) as session:
        make_region(session, code=SUBDISTRICT, level="subdistrict", name="街道")
        make_region(session, code="320706013002", parent_code=SUBDISTRICT, name="西社区")
        make_grid(session, code="G-1", community_code="320706013002",
                  geom=square(119.20, 34.60, 0.01))
    _heard(own_engine)
    with db.session_scope(own_engine) as session:
        found = locate_index.covering_grid(session, 119.205, 34.605)
        assert found is not None and found["grid_code"] == "G-1"
        assert found["worker_id"] is None and found["community_name"] == "西社区"
        version = locate_index._INDEXES[str(own_engine.url.database)].version
    with db.session_scope(own_engine) as session:  # a worker, a rename, a new grid
        session.execute(text("UPDATE region SET name = '东社区' WHERE code = '320706013002'"))
        grid = make_grid(session, code="G-0", community_code="320706013002",
                         geom=square(119.204, 34.604, 0.002))
        make_worker(session, name="王五", grids=[grid])
    _heard(own_engine)
    with db.session_scope(own_engine) as session:
        found = locate_index.covering_grid(session, 119.205, 34.605)
        assert found is not None and found["grid_code"] == "G-0"  # lowest code of the two
        assert found["worker_name"] == "王五" and found["community_name"] == "东社区"
        assert locate_index._INDEXES[str(own_engine.url.database)].version > version
    with db.session_scope(own_engine) as session:  # retired: no longer current
        session.execute(text("UPDATE grid SET valid_to = now() WHERE code = 'G-0'"))
    _heard(own_engine)
    with db.session_scope(own_engine) as session:
        assert assign.locate(session, 119.205, 34.605)["grid"]["code"] == "G-1"


def test_a_rolled_back_change_never_reaches_the_copy(own_engine: Engine) -> None:
    maker = db.make_sessionmaker(own_engine)
    with maker() as session:
        session.execute(text("DELETE FROM grid_worker_grid"))
        session.execute(text("DELETE FROM grid"))
        assert locate_index.covering_grid(session, 119.205, 34.605) is None  # dirty
        session.rollback()
    with maker() as session:
        found = locate_index.covering_grid(session, 119.205, 34.605)
        assert found is not None and found["grid_code"] == "G-1"


def test_a_fresh_session_answers_from_memory_and_follows_the_listener(own_engine: Engine
                                                                       ) -> None:
    """A server's fresh session answers from the copy with no statement at all once the
    listener has heard the current version (from_memory: on the event loop); a commit of
    another connection reaches it through NOTIFY (migration 0019)."""
    statements: list[str] = []
    event.listen(own_engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    maker = db.make_sessionmaker(own_engine)
    with maker() as session:
        assign.locate(session, 119.205, 34.605)  # builds the copy, starts the listener
    _heard(own_engine)
    statements.clear()
    with maker() as session:
        found = locate_index.from_memory(lambda: assign.locate(session, 119.205, 34.605))
        assert found is not None and found["grid"]["code"] == "G-1" and statements == []
        # a point PostGIS must decide (outside every grid) needs the database: None, no I/O
        assert locate_index.from_memory(lambda: assign.locate(session, 119.1, 34.5)) is None
        assert statements == []
    with maker() as session:  # ...and then PostGIS decides, with no read of the version
        with pytest.raises(OutsideJurisdiction):
            assign.locate(session, 119.1, 34.5)
        assert statements and not any("locate_version" in s for s in statements)
    with own_engine.begin() as conn:  # another connection renames the community
        conn.execute(text("UPDATE region SET name = '南社区' WHERE code = '320706013002'"))
    _heard(own_engine)
    with maker() as session:
        found = locate_index.from_memory(lambda: assign.locate(session, 119.205, 34.605))
        assert found is None  # the copy is behind the version heard: rebuilt on a thread
        assert assign.locate(session, 119.205, 34.605)["community"]["name"] == "南社区"
    with maker() as session:
        found = locate_index.from_memory(lambda: assign.locate(session, 119.205, 34.605))
        assert found is not None and found["community"]["name"] == "南社区"
