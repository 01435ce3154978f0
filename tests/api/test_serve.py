"""How the server runs: worker processes, and a database pool that does not churn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.cli.core import default_workers
from api.main import create_app
from bench import serving
from gis.core.settings import Settings
from tests import dbs

ROOT = Path(__file__).resolve().parents[2]
POOL = 6
APP_NAME = "gridmap-test-pool"


def _burst(client: TestClient, concurrency: int, requests: int) -> list[int]:
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda _: client.get("/api/v1/health").status_code,
                             range(requests)))


def test_pool_keeps_its_connections_through_bursts(engine: Engine,
                                                   base_settings: Settings) -> None:
    """As many requests in flight as the pool's size: after the first burst has opened the
    connections, a second burst opens none (no churn), and the server never holds more than
    its pool size."""
    url = make_url(str(dbs.settings_for(engine, base_settings).database_url))
    url = url.update_query_dict({"application_name": APP_NAME})
    settings = base_settings.model_copy(update={
        "database_url": url.render_as_string(hide_password=False), "db_pool_size": POOL})
    app = create_app(settings)
    opened: list[object] = []
    closed: list[object] = []
    with TestClient(app) as client:
        event.listen(app.state.engine, "connect", lambda conn, record: opened.append(conn))
        event.listen(app.state.engine, "close", lambda conn, record: closed.append(conn))
        assert _burst(client, POOL, 60) == [200] * 60
        assert _burst(client, POOL, 120) == [200] * 120
        with engine.connect() as conn:
            held = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": APP_NAME}).scalar_one()
        closed_in_bursts = list(closed)  # the app's shutdown closes them all afterwards
    # a burst may not need every pooled connection at once, so the second one may open the
    # last few; churn is a session closed and opened again, or more sessions than the pool
    assert 1 <= len(opened) <= POOL, "more database sessions opened than the pool holds"
    assert closed_in_bursts == [], "the pool closed sessions it had opened (churn)"
    assert len(opened) <= held <= POOL


def test_serve_defaults_to_one_worker_per_core() -> None:
    assert default_workers() >= 1
    out = CliRunner().invoke(cli_app, ["serve", "--help"]).output
    assert "--workers" in out


def test_serve_with_two_workers_answers(engine: Engine, base_settings: Settings) -> None:
    """``gridmap serve --workers 2`` starts both workers (each imports the app, which takes
    longer than uvicorn's default 5 s health check on a busy machine: run_server waits
    WORKER_STARTUP_S) and answers locate and health from either."""
    port, proc = _serve_two_workers(engine, base_settings, subprocess.PIPE)
    try:
        serving.wait_until_up(f"http://127.0.0.1:{port}", proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            statuses = {client.get("/api/v1/health").status_code for _ in range(20)}
            far = client.get("/api/v1/locate", params={"lon": 100.0, "lat": 30.0})
        assert statuses == {200}
        assert far.status_code == 422 and far.json()["code"]  # no grids: outside, not a 500
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0].decode()
    assert out.count("Application startup complete") == 2, out[-2000:]
    assert "died" not in out and "Traceback" not in out, out[-2000:]


def test_two_workers_share_a_burst_of_connections(engine: Engine,
                                                  base_settings: Settings) -> None:
    """16 keep-alive connections opened at once (a caller's pool) land on both workers, each
    listening on a socket of its own (api/cli/workers.py); with one shared socket the first
    worker to wake took them all and served them alone."""
    port, proc = _serve_two_workers(engine, base_settings, subprocess.DEVNULL)
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) for _ in range(16)]
    try:
        serving.wait_until_up(f"http://127.0.0.1:{port}", proc)
        deadline = time.monotonic() + 60  # the second worker may start seconds later
        while _listening(port) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(lambda c: c.get("/api/v1/health").status_code, clients)) == {200}
        held = _connections_per_worker(proc.pid, port)
    finally:
        for c in clients:
            c.close()
        proc.terminate()
        proc.wait(timeout=60)
    assert len(held) == 2 and sum(held.values()) == 16, held
    assert min(held.values()) >= 1, f"one worker holds every connection: {held}"


def _serve_two_workers(engine: Engine, base_settings: Settings,
                       output: int) -> tuple[int, subprocess.Popen[bytes]]:
    """``gridmap serve --workers 2`` on a free loopback port over the run's database, its
    output to ``output`` (a pipe, stderr with it, or nowhere)."""
    url = str(dbs.settings_for(engine, base_settings).database_url)
    port = _free_port()
    env = {**os.environ, "GRIDMAP_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return port, subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def _listening(port: int) -> int:
    """Sockets listening on ``port`` (Linux /proc/net/tcp, state 0A)."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(int(f[1].split(":")[1], 16) == port and f[3] == "0A" for f in rows)


def _connections_per_worker(parent: int, port: int) -> dict[int, int]:
    """Established connections on ``port`` held by each child of process ``parent`` (Linux:
    /proc/net/tcp's socket inodes matched to each process's open descriptors)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # ESTABLISHED
            inodes.add(fields[9])
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    held = {}
    for pid in map(int, children):
        if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
            continue  # multiprocessing's helper, not a worker
        links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        held[pid] = sum(f"socket:[{i}]" in links for i in inodes)
    return held


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
