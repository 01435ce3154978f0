"""``gridmap batch assign|coverage``: exit codes and messages, and a run on a real Dask cluster
(``dask scheduler`` + ``dask worker`` subprocesses on localhost) that agrees with PostGIS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app, main
from gis.core.settings import Settings
from tests import dbs
from tests.batch import digests

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).parent / "dask"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def small_engine(base_settings: Settings) -> Iterator[Engine]:
    """A database of its own (the commands commit): the demo's grids, workers and buildings,
    and 3,000 generated events."""
    from gis import demo

    eng = dbs.migrated_database(base_settings, "batch")
    demo.load_demo(eng, seed=42)
    with Session(eng) as session, session.begin():
        session.execute(text("DELETE FROM event_log; DELETE FROM event"))
        digests.add_generated_events(session, n=3_000)
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real Dask cluster: one `dask scheduler` and one `dask worker` process."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(DASK), "worker", address, "--nworkers", "1", "--nthreads",
                               "1", "--no-dashboard", "--no-nanny"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_worker(address)
        yield address
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


def _wait_for_worker(address: str, timeout: float = 60.0) -> None:
    from distributed import Client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout="2s") as client:
                client.wait_for_workers(1, timeout=deadline - time.monotonic())
                return
        except (OSError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"no Dask worker joined {address} within {timeout:.0f} s")


def _digest(eng: Engine, query: str = digests.EVENTS) -> dict:
    with eng.connect() as conn:
        return dict(conn.execute(text(query)).mappings().one())


def _reset(eng: Engine) -> None:
    with eng.begin() as conn:
        conn.execute(text(digests.UNASSIGN))
        conn.execute(text("UPDATE building SET grid_id = NULL"))


def test_batch_on_a_real_cluster_agrees_with_postgis(small_engine, cluster, base_settings,
                                                     monkeypatch):
    runner = CliRunner()
    with dbs.cli_pointed_at(small_engine, base_settings, monkeypatch):
        found = {}
        for engine in ("dask", "postgis"):
            _reset(small_engine)
            args = ["--engine", engine] + (["--scheduler", cluster] if engine == "dask" else [])
            events = runner.invoke(app, ["batch", "assign", *args])
            buildings = runner.invoke(app, ["batch", "coverage", *args])
            assert events.exit_code == 0, events.output
            assert buildings.exit_code == 0, buildings.output
            assert "events re-assigned" in events.output and engine in events.output
            assert "buildings changed" in buildings.output
            found[engine] = (_digest(small_engine), _digest(small_engine, digests.BUILDINGS))
    assert found["dask"] == found["postgis"]
    assert found["dask"][0]["assigned"] > 1_000 and found["dask"][1]["assigned"] > 2_000


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *args: str) -> tuple[int | str | None, str]:
    monkeypatch.setattr(sys, "argv", ["gridmap", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


def test_an_unreachable_scheduler_is_one_line_and_exit_1(small_engine, base_settings,
                                                         monkeypatch, capsys):
    with dbs.cli_pointed_at(small_engine, base_settings, monkeypatch):
        code, err = _run(monkeypatch, capsys, "batch", "assign", "--engine", "dask",
                         "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert code == 1
    assert err.startswith("gridmap: no Dask scheduler answers at tcp://127.0.0.1:")
    assert "dask scheduler" in err and err.count("\n") == 1


def test_an_unknown_engine_exits_2_naming_the_choices():
    result = CliRunner().invoke(app, ["batch", "coverage", "--engine", "spark"])
    assert result.exit_code == 2
    assert "spark" in result.output and "postgis" in result.output and "dask" in result.output
