"""Pooled connections are pinged only when idle (gis.core.db.make_engine): a connection the
database dropped while idle is replaced, one in steady use costs no extra round trip."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg2.extensions
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from gis.core import db
from gis.core.settings import Settings
from tests import dbs


@pytest.fixture
def pooled(engine: Engine, base_settings: Settings) -> Iterator[Engine]:
    """gridmap's own engine (make_engine) on the run's database, one pooled connection."""
    settings = dbs.settings_for(engine, base_settings).model_copy(update={"db_pool_size": 1})
    eng = db.make_engine(settings)
    yield eng
    eng.dispose()


def _backend(eng: Engine) -> int:
    with eng.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_dropped_while_idle_is_replaced(pooled: Engine, engine: Engine) -> None:
    first = _backend(pooled)
    with engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    time.sleep(db.IDLE_PING_S + 0.2)
    assert _backend(pooled) != first  # no error: the ping found it gone, the pool made another


def test_a_ping_leaves_no_transaction_open(pooled: Engine) -> None:
    """The ping runs in autocommit: a request that sets autocommit itself (the tile key check
    before routing) or its own isolation gets an idle connection, not one in a transaction."""
    _backend(pooled)
    time.sleep(db.IDLE_PING_S + 0.2)
    with pooled.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        assert raw.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        raw.autocommit = True  # what api.deps._caller_apart does; refused inside a transaction
        raw.autocommit = False


def test_a_connection_in_steady_use_is_not_pinged(pooled: Engine, engine: Engine,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Within IDLE_PING_S nothing is sent before the request's own statement: a connection
    dropped meanwhile fails that one request (no ping found it), and only that one."""
    monkeypatch.setattr(db, "IDLE_PING_S", 3600.0)
    first = _backend(pooled)
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    time.sleep(0.2)
    with pytest.raises(OperationalError):
        _backend(pooled)
    assert _backend(pooled) != first
