"""Engine and sessions: the configured database, or the embedded one started on demand."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import Pool

from gis.core import embedded
from gis.core.settings import Settings

DB_POOL_OVERFLOW = 4
"""Connections a pool may open beyond its size for a moment (closed when returned)."""


def database_url(settings: Settings, *, start: bool = True) -> str:
    """``GRIDMAP_DATABASE_URL`` when set (never starts anything), else the embedded cluster's.

    With ``start`` the embedded cluster is created and started when it is not running.
    """
    if settings.database_url:
        return settings.database_url
    cluster = embedded.cluster_from_settings(settings)
    if start:
        embedded.start(cluster)
    return cluster.url()


def make_engine(settings: Settings, *, start: bool = True) -> Engine:
    """A pooled engine on the database in use: up to ``settings.db_pool_size`` connections,
    opened when first needed and then kept (as many as the server's request threads,
    api.main), plus ``DB_POOL_OVERFLOW`` closed again after use, a cushion for more requests
    in flight than that. Pinged when idle (IDLE_PING_S): a connection the database dropped
    (a restart) is replaced on checkout instead of failing a request. JIT off: its compile
    time (2.4 s of the QA statement's 2.7 s, EXPLAIN ANALYZE on the demo) dwarfs what it
    saves on these queries,
    whose cost estimates (set-returning PostGIS functions) trip it without being slow."""
    engine = create_engine(database_url(settings, start=start),
                           pool_size=settings.db_pool_size, max_overflow=DB_POOL_OVERFLOW,
                           connect_args={"options": "-c jit=off"})
    event.listen(engine.pool, "connect", _note_use)
    event.listen(engine.pool, "checkin", _note_use)
    event.listen(engine.pool, "checkout",
                 lambda dbapi_connection, record, _: _ping_if_idle(engine, dbapi_connection,
                                                                   record))
    return engine


IDLE_PING_S = 1.0
"""A pooled connection unused this long is pinged before a request gets it (one round trip);
one in steady use is not. SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round
trip on every request, 0.3-0.5 ms of a cached keyed tile's ~2 ms (bench/tiles). Hand-written
as SQLAlchemy's documented checkout-event recipe because pre_ping has no idle threshold."""


def _note_use(_: Any, record: Any) -> None:
    record.info["used_at"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, record: Any) -> None:
    """A connection idle past IDLE_PING_S that the database dropped (a restart) is replaced
    by the pool (DisconnectionError: it retries with a new one) instead of failing a
    request; one in use within the second fails its request at most once, and that
    failure invalidates the pool's older connections (SQLAlchemy's disconnect handling).
    The dialect's own ping, as pre_ping's: in autocommit, so it leaves no transaction open."""
    if time.monotonic() - record.info.get("used_at", 0.0) < IDLE_PING_S:
        return
    try:
        alive = engine.dialect.do_ping(dbapi_connection)
    except Exception as exc:  # any driver error: the connection is unusable
        raise DisconnectionError(str(exc)) from exc
    if not alive:
        raise DisconnectionError("the database did not answer the ping")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


TIMEOUT_KEY = "gridmap_statement_timeout_ms"
"""``Session.info`` key: the ``statement_timeout`` (ms) each of the session's transactions
runs under (set by the server per request kind, api.deps); absent, the connection's own."""
_SET_TIMEOUT = text("SELECT set_config('statement_timeout', :ms, false)")


def set_statement_timeout(session: Session, ms: int) -> None:
    """Run ``session``'s transactions under ``statement_timeout`` = ``ms``, this one included
    when it is open (a statement of it then sets the value: one round trip)."""
    session.info[TIMEOUT_KEY] = ms
    if session.in_transaction():
        _apply_timeout(session, None, session.connection())


def _apply_timeout(session: Session, _: SessionTransaction | None,
                   connection: Connection) -> None:
    """At the start of each transaction of a session that asks for a timeout: set it on the
    connection unless the connection already runs under it. The value is set for the
    connection (not SET LOCAL), so a pooled connection keeps it and the next request of the
    same kind pays no round trip; any rollback forgets what was set (a rolled-back SET is
    undone), so the next transaction sets it again."""
    ms = session.info.get(TIMEOUT_KEY)
    if ms is None or connection.info.get(TIMEOUT_KEY) == ms:
        return
    connection.execute(_SET_TIMEOUT, {"ms": str(ms)})
    connection.info[TIMEOUT_KEY] = ms


def _forget_timeout(conn: Connection, *_: object) -> None:
    if not (conn.invalidated or conn.closed):  # an invalidated one is discarded, info and all
        conn.info.pop(TIMEOUT_KEY, None)


_PSYCOPG2_IDLE = 0
"""psycopg2.extensions.TRANSACTION_STATUS_IDLE: connected, no transaction open."""


def _forget_timeout_on_reset(dbapi_connection: Any, connection_record: Any,
                             reset_state: Any) -> None:
    # called before the pool's rollback of a returned connection, also after a commit, when
    # there is nothing left to undo (psycopg2: idle, not in a transaction)
    status = getattr(dbapi_connection, "get_transaction_status", None)
    if status is None or status() != _PSYCOPG2_IDLE:
        connection_record.info.pop(TIMEOUT_KEY, None)


event.listen(Session, "after_begin", _apply_timeout)
event.listen(Engine, "rollback", _forget_timeout)
event.listen(Engine, "rollback_savepoint", _forget_timeout)
event.listen(Pool, "reset", _forget_timeout_on_reset)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction for a command-line job: commit at the end, roll back on error."""
    with make_sessionmaker(engine)() as session, session.begin():
        yield session


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE/INSERT/DELETE touched (such a statement's result is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)


def statement_logging(engine: Engine) -> list[str]:
    """The server's settings that would write statement text or parameters (residents' ID
    numbers and phones, inlined by psycopg2) to its log, as 'name = value' (empty: none);
    embedded.QUIET_LOG says what to set instead."""
    with engine.connect() as conn:
        found = {str(name): str(value) for name, value in conn.execute(text(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(:names)"),
            {"names": list(embedded.QUIET_LOG)})}
    return [f"{name} = {value}" for name, value in found.items()
            if value != embedded.QUIET_LOG[name]]
