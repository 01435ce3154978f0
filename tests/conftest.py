"""Fixtures: a migrated empty database and a demo-district database, per test run.

Each test runs inside a transaction that is rolled back at the end (services flush, never
commit; ``join_transaction_mode="create_savepoint"`` lets code under test use savepoints).

The whole run is watched for personal data in log records and error bodies (tests/leaks.py):
one ID number or mobile phone in clear fails the run, naming where it was.
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
from tests.leaks import LeakScan

LEAKS = LeakScan()


def pytest_configure(config: pytest.Config) -> None:
    LEAKS.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a log record or an error body held personal data."""
    LEAKS.uninstall()
    if not LEAKS.leaks:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"personal data in {len(LEAKS.leaks)} log records or error bodies:",
             *LEAKS.leaks[:50]]
    if reporter is not None:
        reporter.write_line("\n" + "\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
        client.event_hooks["response"].append(LEAKS.on_response)
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
