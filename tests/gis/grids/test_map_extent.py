"""The box a map page opens on (registry.map_extent): the grids' part kept in the process per
grid version, so it follows every committed grid edit and never keeps what a transaction has
not committed. On a database of its own, whose grids these tests commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from gis.core.settings import Settings
from gis.grids import registry
from tests import dbs
from tests.builders import make_grid, make_region, square

COMMUNITY = "320706088001"


@pytest.fixture(scope="module")
def own_engine(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "map_extent")
    with Session(eng) as session, session.begin():
        make_region(session, code=COMMUNITY, geom=square(119.20, 34.60, size=0.01))
        make_grid(session, code="E-1", community_code=COMMUNITY,
                  geom=square(119.20, 34.60, size=0.01))
    yield eng
    dbs.drop_database(base_settings, eng)


class Reads:
    """How many times the grids' boxes were read (map_extent_grids.sql run)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        if "ST_Extent(g.geom)" in str(args[2]):
            self.count += 1


def extent(engine: Engine, **kwargs: str) -> tuple[float, float, float, float] | None:
    with Session(engine) as session, session.begin():
        return registry.map_extent(session, **kwargs)


def test_the_grids_box_is_read_once_per_grid_version(own_engine: Engine) -> None:
    reads = Reads(own_engine)
    first = extent(own_engine)
    assert first == pytest.approx((119.20, 34.60, 119.21, 34.61))
    assert extent(own_engine) == first and reads.count == 1
    before = reads.count
    assert extent(own_engine, community_code=COMMUNITY) == first  # another key: read once
    assert extent(own_engine, community_code=COMMUNITY) == first
    assert reads.count == before + 1


def test_a_committed_grid_edit_moves_the_box(own_engine: Engine) -> None:
    extent(own_engine)
    with Session(own_engine) as session, session.begin():
        make_grid(session, code="E-FAR", community_code=COMMUNITY,
                  geom=square(119.30, 34.70, size=0.01))
    assert extent(own_engine) == pytest.approx((119.20, 34.60, 119.31, 34.71))
    with own_engine.begin() as conn:  # retired: no longer current, no longer in the box
        conn.execute(text("UPDATE grid SET valid_to = now() WHERE code = 'E-FAR'"))
    assert extent(own_engine) == pytest.approx((119.20, 34.60, 119.21, 34.61))


def test_an_uncommitted_grid_is_seen_by_its_transaction_only(own_engine: Engine) -> None:
    with Session(own_engine) as session:
        make_grid(session, code="E-DRAFT", community_code=COMMUNITY,
                  geom=square(119.10, 34.50, size=0.01))
        session.flush()
        assert registry.map_extent(session) == pytest.approx((119.10, 34.50, 119.21, 34.61))
        session.rollback()
    assert extent(own_engine) == pytest.approx((119.20, 34.60, 119.21, 34.61))
