"""This process's copy of the tile versions (gis.tiles.versions) over a real database: heard
from another connection by LISTEN/NOTIFY, known at once after a commit of this process (the
NOTICE of migration 0021), unknown while the listener is down, never without migration 0021."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from sqlalchemy import Engine, text

from gis.core import schema
from gis.core.settings import Settings
from gis.tiles import versions
from tests import dbs

WAIT_S = 5.0


@pytest.fixture(scope="module")
def committed(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "tileversions")
    yield eng
    dbs.drop_database(base_settings, eng)


def eventually(check: Callable[[], Any], seconds: float = WAIT_S) -> Any:
    """``check()``'s first truthy value within ``seconds``; fails the test otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.01)
    pytest.fail(f"nothing within {seconds} s")


def in_db(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT versions FROM tile_version")).scalar_one())


def listening(engine: Engine) -> dict[str, int]:
    known = eventually(lambda: versions.current(engine))
    assert known[0] == engine.url.database
    return dict(known[1])


def raw_write(engine: Engine, statement: str) -> None:
    """A commit on a plain psycopg2 connection (as another process's): no NOTICE asked."""
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement)
        assert not [n for n in conn.notices if "gridmap_tiles" in n]
    finally:
        conn.close()


def test_the_listener_knows_the_versions_in_the_database(committed: Engine) -> None:
    assert listening(committed) == in_db(committed)


def test_a_commit_of_another_connection_is_heard(committed: Engine) -> None:
    before = listening(committed)
    raw_write(committed, "UPDATE grid SET id = id WHERE false")
    heard = eventually(lambda: (known := versions.current(committed))
                       and known[1]["grid"] > before["grid"] and known[1])
    assert heard == in_db(committed)
    assert {t for t in heard if heard[t] != before[t]} == {"grid"}


def test_a_commit_of_this_process_is_known_when_it_returns(committed: Engine) -> None:
    before = listening(committed)
    with committed.connect() as conn:
        conn.execute(text("UPDATE building SET id = id WHERE false"))
        raw = conn.connection.dbapi_connection
        conn.commit()
        assert [n for n in raw.notices if "gridmap_tiles" in n]  # with the COMMIT's answer
    # read when the connection went back to its pool, before the block's end returned
    known = versions.current(committed)
    assert known is not None and known[1]["building"] == in_db(committed)["building"]
    assert known[1]["building"] > before["building"]
    assert not [n for n in raw.notices if "gridmap_tiles" in n]


def test_a_commit_that_writes_no_watched_table_moves_nothing(committed: Engine) -> None:
    before = listening(committed)
    with committed.begin() as conn:
        conn.execute(text("UPDATE region SET id = id WHERE false"))
    with committed.connect() as conn:
        conn.execute(text("UPDATE grid SET id = id WHERE false"))
        conn.rollback()
    assert dict(versions.current(committed)[1]) == before == in_db(committed)


def test_unknown_while_the_listener_is_down_then_heard_again(
        committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    watch = versions.watch(committed)
    listening(committed)
    monkeypatch.setattr(versions, "RETRY_S", 1.5)
    raw_write(committed, f"SELECT pg_terminate_backend({watch.pid})")
    eventually(lambda: versions.current(committed) is None, 2.0)
    raw_write(committed, "UPDATE event SET id = id WHERE false")  # while nobody listens
    versions.watch(committed).merge(committed.url.database, {"event": 10**12})
    assert versions.current(committed) is None  # nothing merged into an unknown copy
    assert eventually(lambda: versions.current(committed), WAIT_S)[1] == in_db(committed)
    assert watch.pid is not None


def test_no_listener_without_migration_0021(base_settings: Settings) -> None:
    eng = dbs.migrated_database(base_settings, "tilenonotify")
    try:
        schema.downgrade(eng, "0020")
        watch = versions.watch(eng)
        watch.thread.join(WAIT_S)  # it looks, finds no NOTIFY in gm_tile_bump and stops
        assert not watch.thread.is_alive()
        assert watch.current() is None and watch.pid is None
    finally:
        dbs.drop_database(base_settings, eng)
