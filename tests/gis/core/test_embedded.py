"""The embedded cluster: create, start (idempotent), status, URL, stop; clear errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gis.core import embedded
from gis.core.errors import DatabaseUnavailable
from gis.core.settings import Settings


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
    engine.dispose()
    assert {"postgis", "pgrouting", "pg_trgm"} <= names
    assert listen == ""  # Unix socket only, no TCP listener
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
