"""The embedded cluster: create, start (idempotent), status, URL, stop; clear errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.core import db, embedded
from gis.core.errors import DatabaseUnavailable
from gis.core.settings import Settings
from gis.models import Resident


@pytest.fixture
def private_home() -> Iterator[Path]:
    """A cluster home under the working directory (the server user must reach it; /tmp's
    pytest folders are private to root)."""
    home = Path.cwd() / ".gridmap-test" / uuid.uuid4().hex[:8]
    yield home
    cluster = embedded.Cluster(home, embedded.find_bin_dir(), "gridmap")
    embedded.stop(cluster)
    shutil.rmtree(home, ignore_errors=True)


def test_lifecycle(private_home: Path) -> None:
    cluster = embedded.cluster_from_settings(Settings(home=private_home, database_url=None))
    assert embedded.status(cluster) == "absent"
    assert embedded.start(cluster) is True
    assert embedded.status(cluster) == "running"
    assert embedded.start(cluster) is False  # idempotent
    engine = create_engine(cluster.url())
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
        listen = conn.execute(text("SHOW listen_addresses")).scalar_one()
        durable: dict[str, str] = dict(conn.execute(text(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(:n)"),
            {"n": list(embedded.DURABLE)}).all())
    engine.dispose()
    assert {"postgis", "pgrouting", "pg_trgm"} <= names
    assert listen == ""  # Unix socket only, no TCP listener
    assert durable == embedded.DURABLE  # a commit is on disk before it is acknowledged
    assert str(private_home) in cluster.url()
    assert embedded.stop(cluster) is True
    assert embedded.status(cluster) == "stopped"
    assert embedded.stop(cluster) is False


def test_missing_binaries_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="has no initdb/pg_ctl"):
        embedded.find_bin_dir(tmp_path)


def test_cli_says_why_in_one_line(tmp_path: Path) -> None:
    env = {"GRIDMAP_PG_BIN": str(tmp_path), "GRIDMAP_HOME": str(tmp_path / "home"),
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "api.cli", "db", "start"], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("gridmap: GRIDMAP_PG_BIN=")
    assert len(done.stderr.strip().splitlines()) == 1


def test_configured_database_url_starts_nothing(tmp_path: Path) -> None:
    env = {"GRIDMAP_DATABASE_URL": "postgresql+psycopg2://u@/x?host=/nowhere",
           "GRIDMAP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "api.cli", "db", "status"], env=env,
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "external")
    assert not (tmp_path / "home").exists()


def _fail_insert(engine: Engine, id_number: str, phone: str, *, control: bool = False) -> None:
    """An INSERT of a resident that the server refuses (no such building), as the app sends
    it (psycopg2 inlines the values); ``control`` turns statement logging back on first."""
    with Session(engine) as session:
        if control:
            session.execute(text("SET log_min_error_statement = error"))
        session.add(Resident(code="R-LOG", building_id=-1, name="测试", id_number=id_number,
                             phone=phone))
        with pytest.raises(IntegrityError):
            session.flush()


def test_the_server_log_holds_no_statement_parameters(engine: Engine,
                                                      base_settings: Settings) -> None:
    if base_settings.database_url:
        pytest.skip("a configured server's log is its owner's: see README")
    log = embedded.cluster_from_settings(base_settings).log
    _fail_insert(engine, "110101199901019999", "13700009999")
    _fail_insert(engine, "110101199901018888", "13700008888", control=True)
    text_of_log = log.read_text(encoding="utf-8", errors="replace")
    assert "110101199901018888" in text_of_log  # the log is the one read, and it can fail
    assert "110101199901019999" not in text_of_log and "13700009999" not in text_of_log
    assert db.statement_logging(engine) == []
