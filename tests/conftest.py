"""Fixtures: a migrated empty database and a demo-district database, per test run.

Each test runs inside a transaction that is rolled back at the end (services flush, never
commit; ``join_transaction_mode="create_savepoint"`` lets code under test use savepoints).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from gis.core.settings import Settings
from tests import dbs, forkserver


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def engine(base_settings: Settings) -> Iterator[Engine]:
    """A freshly migrated, empty database for this run."""
    eng = dbs.migrated_database(base_settings, "empty")
    yield eng
    dbs.drop_database(base_settings, eng)


def _rolled_back_session(eng: Engine) -> Iterator[Session]:
    conn = eng.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the empty database; everything it does is rolled back."""
    yield from _rolled_back_session(engine)


@pytest.fixture(scope="session")
def demo_engine(base_settings: Settings) -> Iterator[Engine]:
    """A migrated database holding the demo district (seed 42), loaded once per run."""
    from gis import demo

    eng = dbs.migrated_database(base_settings, "demo")
    demo.load_demo(eng, seed=42)
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """A session on the demo database; everything it does is rolled back."""
    yield from _rolled_back_session(demo_engine)


def _client(eng: Engine, sess: Session, base: Settings) -> Iterator[TestClient]:
    app = create_app(dbs.settings_for(eng, base))
    app.dependency_overrides[get_session] = lambda: sess
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(engine: Engine, session: Session, base_settings: Settings) -> Iterator[TestClient]:
    """HTTP client on the app, sharing the test's rolled-back session."""
    yield from _client(engine, session, base_settings)


@pytest.fixture
def demo_client(demo_engine: Engine, demo_session: Session,
                base_settings: Settings) -> Iterator[TestClient]:
    """HTTP client on the app over the demo database, sharing the rolled-back session."""
    yield from _client(demo_engine, demo_session, base_settings)


@pytest.fixture(scope="session")
def forks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[forkserver.Forks]:
    """Real gridmap processes (uvicorn servers, commands) to kill -9: tests/forkserver.py."""
    with forkserver.forks(tmp_path_factory.mktemp("forks") / "children.log") as f:
        yield f
