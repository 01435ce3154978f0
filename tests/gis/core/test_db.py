"""The request sessions' statement_timeout (gis.core.db.set_statement_timeout): set on a
pooled connection once, not at every transaction, and set again after anything rolled back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gis.core import db


@pytest.fixture
def pooled(engine: Engine) -> Iterator[Engine]:
    """An engine of its own (one pooled connection) on the run's empty database."""
    eng = db.create_engine(make_url(engine.url), pool_size=1, max_overflow=0)
    yield eng
    eng.dispose()


def _timeout_sets(eng: Engine) -> list[str]:
    sets: list[str] = []

    @event.listens_for(eng, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if "statement_timeout" in statement and "set_config" in statement:
            sets.append(statement)
    return sets


def _run(eng: Engine, ms: int, sql: str = "SHOW statement_timeout") -> str:
    with db.make_sessionmaker(eng)() as session:
        session.info[db.TIMEOUT_KEY] = ms
        value = str(session.execute(text(sql)).scalar())
        session.commit()
    return value


def test_a_timeout_is_set_once_per_connection_and_value(pooled: Engine) -> None:
    sets = _timeout_sets(pooled)
    assert [_run(pooled, 1500) for _ in range(3)] == ["1500ms"] * 3
    assert len(sets) == 1  # three transactions on the one connection, one SET
    assert _run(pooled, 30_000) == "30s" and len(sets) == 2  # another kind of request
    assert _run(pooled, 1500) == "1500ms" and len(sets) == 3


def test_a_rollback_forgets_the_timeout_it_undid(pooled: Engine) -> None:
    sets = _timeout_sets(pooled)
    with db.make_sessionmaker(pooled)() as session:
        session.info[db.TIMEOUT_KEY] = 1500
        assert session.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
        session.rollback()  # the SET was in this transaction: PostgreSQL undid it
        assert session.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
    assert len(sets) == 2
    with db.make_sessionmaker(pooled)() as session:  # closed without commit: rolled back
        session.info[db.TIMEOUT_KEY] = 2500
        assert session.execute(text("SHOW statement_timeout")).scalar() == "2500ms"
    assert _run(pooled, 2500) == "2500ms" and len(sets) == 4


def test_a_timeout_stops_a_statement_and_the_next_one_still_has_it(pooled: Engine) -> None:
    with pytest.raises(Exception, match="statement timeout"):
        _run(pooled, 50, "SELECT pg_sleep(1)")
    assert _run(pooled, 50) == "50ms"


def test_sessions_that_ask_for_no_timeout_set_nothing(pooled: Engine,
                                                      session: Session) -> None:
    sets = _timeout_sets(pooled)
    with db.make_sessionmaker(pooled)() as own:
        assert own.execute(text("SHOW statement_timeout")).scalar() == "0"
    db.set_statement_timeout(session, 700)  # a session already in a transaction: at once
    assert session.execute(text("SHOW statement_timeout")).scalar() == "700ms"
    assert sets == []
