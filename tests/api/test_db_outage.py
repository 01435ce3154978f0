"""PostgreSQL stopped under load and started again: a real gridmap server (uvicorn, forked by
tests/forkserver.py) on a small PostgreSQL cluster of its own answers every request 503 with a
JSON body while the database is down, loses nothing it acknowledged, and serves again within
RECOVERY_S of the database's return, without being restarted.

The cluster is made for this module (initdb without fsync, small buffers) because the test
stops it: the run's shared cluster must keep serving every other test.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from gis.access import keys
from gis.core import embedded, schema
from gis.core.settings import Settings
from tests.builders import make_grid, make_region, square
from tests.forkserver import Forks

KINDS = ("locate", "grids", "intake")
DOWN_S = 2.0
"""How long the database stays stopped."""
RECOVERY_S = 15.0
"""Longest wait, after the database is back, for every kind of request to succeed again."""
SMALL = "shared_buffers = 16MB\nmax_connections = 30\nmaintenance_work_mem = 64MB\n"
"""Appended to the throw-away cluster's postgresql.conf (later lines win)."""
LON, LAT = 119.205, 34.605


@pytest.fixture(scope="module")
def own_cluster(base_settings: Settings) -> Iterator[tuple[embedded.Cluster, Engine, dict, str]]:
    """A running cluster of this module's own, migrated, holding a community, a grid and a
    dispatcher's key; the environment pointing a server at it, and the key."""
    home = Path(tempfile.mkdtemp(prefix="gm-outage-", dir="/tmp"))  # short: socket path limit
    home.chmod(0o755)  # the server user (postgres, when we are root) must reach its folder
    cluster = embedded.Cluster(home, embedded.find_bin_dir(base_settings.pg_bin),
                               "gridmap_outage")
    try:
        embedded.init(cluster, sync=False)
        with (cluster.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(SMALL)
        embedded.start(cluster)
        engine = create_engine(cluster.url(), pool_pre_ping=True)
        schema.upgrade(engine)
        secret = secrets.token_hex(16)
        with Session(engine) as session:
            community = make_region(session, geom=square(119.20, 34.60, 0.05)).code
            make_grid(session, community_code=community, geom=square(119.20, 34.60, 0.01))
            key = keys.create_key(session, role="dispatcher", secret=secret.encode())
            session.commit()
        env = {"GRIDMAP_DATABASE_URL": cluster.url(), "GRIDMAP_SECRET_KEY": secret,
               "GRIDMAP_RATE_LIMIT_WRITES": "100000/minute"}
        yield cluster, engine, env, key
        engine.dispose()
    finally:
        embedded.stop(cluster)
        shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class Answer:
    kind: str
    sent: float
    answered: float
    status: int  # 0: no HTTP answer at all
    content_type: str
    body: str
    external_id: str | None = None


def _request(client: httpx.Client, kind: str, external_id: str) -> httpx.Response:
    if kind == "locate":
        return client.get("/api/v1/locate", params={"lon": LON, "lat": LAT})
    if kind == "grids":
        return client.get("/api/v1/grids", params={"limit": 10})
    return client.post("/api/v1/events", json={
        "category": "sanitation", "description": "垃圾堆放", "channel": "12345",
        "external_id": external_id, "location": {"lon": LON, "lat": LAT}})


class Load:
    """One thread per kind of request, each sending the next as soon as one is answered."""

    def __init__(self, port: int, key: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {key}"}
        self.answers: list[Answer] = []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                        for k in KINDS]
        self.run_id = secrets.token_hex(4)

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=20)

    def _run(self, kind: str) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=20) as client:
            n = 0
            while not self.done.is_set():
                external_id = f"outage-{self.run_id}-{n}"
                sent = time.monotonic()
                try:
                    res = _request(client, kind, external_id)
                    answer = Answer(kind, sent, time.monotonic(), res.status_code,
                                    res.headers.get("content-type", ""), res.text,
                                    external_id if kind == "intake" else None)
                except httpx.HTTPError as exc:
                    answer = Answer(kind, sent, time.monotonic(), 0, "", repr(exc))
                self.answers.append(answer)  # list.append is atomic under the GIL
                n += 1
                time.sleep(0.01)

    def served_all_since(self, since: float) -> float | None:
        """When every kind had a 2xx answer to a request sent after ``since`` (None: not yet)."""
        firsts = [min((a.answered for a in list(self.answers)
                       if a.kind == kind and a.sent >= since and a.status < 300), default=None)
                  for kind in KINDS]
        return None if None in firsts else max(t for t in firsts if t is not None)


def _wait(check: Callable[[], float | None], timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := check()) is not None:
            return found
        time.sleep(0.05)
    return None


def test_database_stop_and_start_under_load(forks: Forks, own_cluster) -> None:
    cluster, engine, env, key = own_cluster
    log_start = forks.log.stat().st_size
    pid, port = forks.serve(env)
    try:
        with Load(port, key) as load:
            start = time.monotonic()
            assert _wait(lambda: load.served_all_since(start), 30) is not None, "never served"
            embedded.stop(cluster)
            down_from = time.monotonic()
            time.sleep(DOWN_S)
            down_until = time.monotonic()
            embedded.start(cluster)
            back = time.monotonic()
            recovered = _wait(lambda: load.served_all_since(back), RECOVERY_S)
            time.sleep(0.5)
    finally:
        forks.kill(pid)
    answers = list(load.answers)
    _check_down(answers, down_from, down_until)
    assert recovered is not None, f"not serving {RECOVERY_S:g} s after the database came back"
    late = [a for a in answers if a.sent > recovered and a.status >= 300]
    assert late == [], f"errors after recovering: {late[:3]}"
    assert {a.status for a in answers} <= {200, 201, 503}, sorted({a.status for a in answers})
    _check_acknowledged(engine, answers)
    server_log = forks.log.read_text(encoding="utf-8", errors="replace")[log_start:]
    assert "Traceback" not in server_log, server_log[-2000:]


def _check_down(answers: list[Answer], down_from: float, down_until: float) -> None:
    """Requests sent and answered while the database was down: 503, JSON, no traceback."""
    down = [a for a in answers if a.sent >= down_from and a.answered <= down_until]
    for kind in KINDS:
        assert sum(a.kind == kind for a in down) >= 3, f"too few {kind} requests while down"
    wrong = [a for a in down if a.status != 503 or not a.content_type.startswith(
        "application/json") or '"code":' not in a.body or "Traceback" in a.body]
    assert wrong == [], f"{len(wrong)} answers while down were not a JSON 503: {wrong[:3]}"


def _check_acknowledged(engine: Engine, answers: list[Answer]) -> None:
    """Every 201 names an event that is in the database."""
    acknowledged = [a.external_id for a in answers if a.kind == "intake" and a.status == 201]
    assert acknowledged, "no event was acknowledged"
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT external_id FROM event WHERE external_id = "
                                       "ANY(:ids)"), {"ids": acknowledged}).scalars())
    lost = [e for e in acknowledged if e not in stored]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged events lost"
