"""Engine and sessions: the configured database, or the embedded one started on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

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
    in flight than that. Pre-ping: a connection the database dropped (a restart) is replaced
    on checkout instead of failing a request. JIT off: its compile time (2.4 s of the QA
    statement's 2.7 s, EXPLAIN ANALYZE on the demo) dwarfs what it saves on these queries,
    whose cost estimates (set-returning PostGIS functions) trip it without being slow."""
    return create_engine(database_url(settings, start=start), pool_pre_ping=True,
                         pool_size=settings.db_pool_size, max_overflow=DB_POOL_OVERFLOW,
                         connect_args={"options": "-c jit=off"})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


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
