"""Throw-away databases for one test run, in the embedded cluster or the configured server.

Each pytest run makes its own databases (so runs side by side never meet), migrates them
with Alembic and drops them at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gis.core import db, schema
from gis.core.settings import Settings, get_settings


def server_url(settings: Settings) -> str:
    """URL of the server's maintenance database (starts the embedded cluster if needed)."""
    url = make_url(db.database_url(settings))
    return url.set(database="postgres").render_as_string(hide_password=False)


def create_database(settings: Settings, label: str) -> Engine:
    """Create an empty database with the extensions and return an engine on it."""
    name = f"gridmap_test_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url(settings), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # throw-away: commits need not wait for the disk (the cluster itself is durable)
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    url = make_url(server_url(settings)).set(database=name)
    return create_engine(url, pool_pre_ping=True)


def migrated_database(settings: Settings, label: str) -> Engine:
    engine = create_database(settings, label)
    schema.upgrade(engine)
    return engine


def drop_database(settings: Settings, engine: Engine) -> None:
    name = engine.url.database
    engine.dispose()
    admin = create_engine(server_url(settings), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def settings_for(engine: Engine, base: Settings) -> Settings:
    """Settings that point the app at ``engine``'s database."""
    url = engine.url.render_as_string(hide_password=False)
    return base.model_copy(update={"database_url": url})


@contextmanager
def cli_pointed_at(engine: Engine, base: Settings,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Point the ``gridmap`` command line (GRIDMAP_DATABASE_URL, cached settings) at
    ``engine``'s database for the duration of the block."""
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", str(settings_for(engine, base).database_url))
    get_settings.cache_clear()
    try:
        yield engine
    finally:
        get_settings.cache_clear()


@contextmanager
def cli_then_truncated(engine: Engine, base: Settings, monkeypatch: pytest.MonkeyPatch,
                       tables: str) -> Iterator[Engine]:
    """``cli_pointed_at`` for a database of the test's own that the command line commits to;
    ``tables`` (e.g. ``"grid, region"``) are emptied afterwards, with what refers to them."""
    with cli_pointed_at(engine, base, monkeypatch):
        yield engine
    with Session(engine) as session, session.begin():
        session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
