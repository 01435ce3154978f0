"""Faults as tests: kill -9 of ``gridmap import`` at each stage and of ``gridmap plan apply``
half-way leaves nothing partial; a key revoked mid-session stops working on the next request.

Stages are observed, not timed: reading from the process's open files (/proc), COPY and the
assignment from pg_stat_activity, held there by a lock this test takes (an uncommitted row
with the code of the file's last event, or the table only the assignment reads).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from gis import plans
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.builders import make_grid, make_region, square
from tests.forkserver import Forks
from tests.plan_cases import make_lattice

COPY_ROWS = 5_001  # one more than gis.io.loaders.CHUNK: the second COPY comes after a first
READ_ROWS = 40_000  # enough text for GDAL to take a while to read


@pytest.fixture(scope="module")
def faults_db(base_settings: Settings) -> Iterator[tuple[Engine, dict[str, str], str]]:
    """A throw-away database (committed data, for other processes): a community with a grid,
    the plan lattice, and an admin key; the environment that points gridmap at it."""
    engine = dbs.migrated_database(base_settings, "faults")
    secret = secrets.token_hex(16)
    with Session(engine) as session:
        community = make_region(session, code="320706913002",
                                geom=square(119.30, 34.60, 0.05)).code
        make_grid(session, community_code=community, geom=square(119.30, 34.60, 0.05))
        make_lattice(session)
        key = keys.create_key(session, role="admin", secret=secret.encode())
        session.commit()
    env = {"GRIDMAP_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "GRIDMAP_SECRET_KEY": secret}
    yield engine, env, key
    dbs.drop_database(base_settings, engine)


def _events_csv(path: Path, rows: int, prefix: str) -> list[str]:
    codes = [f"{prefix}{n:06d}" for n in range(rows)]
    pd.DataFrame({"code": codes, "category": "sanitation", "channel": "12345",
                  "description": "占道经营" * 8, "lon": 119.31, "lat": 34.61}
                 ).to_csv(path, index=False)
    return codes


def _backend(conn: Connection, pattern: str) -> str | None:
    """The query of the other backend on this database that waits for a lock, if any."""
    # a transaction keeps its first snapshot of pg_stat_activity: one per look
    with conn.begin():
        return conn.execute(text(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND wait_event_type = 'Lock' "
            "AND query ILIKE :pattern"), {"pattern": pattern}).scalar()


def _waits_on(conn: Connection, table: str) -> bool:
    """True when another backend waits for a lock on ``table``."""
    with conn.begin():
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = CAST(:t AS regclass) "
            "AND pid <> pg_backend_pid()"), {"t": table}).scalar())


def _kill_when(forks: Forks, pid: int, seen: Callable[[], bool]) -> None:
    """kill -9 ``pid`` as soon as ``seen()``; fails when the process ends first (or, as a
    guard against a hang, when the stage never comes)."""
    deadline = time.monotonic() + 120
    while not seen():
        if _ended(pid) or time.monotonic() > deadline:
            forks.kill(pid)
            pytest.fail("the process ended (or hung) before the stage was reached")
    forks.kill(pid)


def _ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (FileNotFoundError, IndexError):
        return True


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path)
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return False


def _stored(engine: Engine, codes: list[str]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM event WHERE code = ANY(:c)"),
                                {"c": codes}).scalar_one())


def test_import_killed_while_reading_writes_nothing(forks: Forks, faults_db, tmp_path) -> None:
    engine, env, _ = faults_db
    path = tmp_path / "events.csv"
    codes = _events_csv(path, READ_ROWS, "R")
    pid = forks.run(["import", "events", str(path)], env)
    _kill_when(forks, pid, lambda: _has_open(pid, path))
    assert _stored(engine, codes) == 0


def test_import_killed_during_copy_writes_nothing(forks: Forks, faults_db, tmp_path) -> None:
    engine, env, _ = faults_db
    path = tmp_path / "events.csv"
    codes = _events_csv(path, COPY_ROWS, "C")
    with engine.connect() as holder, engine.connect() as watch:
        # the last event's code, uncommitted: the second COPY waits on it, the first is written
        holder.execute(text("INSERT INTO event (code, category, channel, status, reported_at) "
                            "VALUES (:c, 'sanitation', '12345', 'needs_location', now())"),
                       {"c": codes[-1]})
        pid = forks.run(["import", "events", str(path)], env)
        _kill_when(forks, pid, lambda: _backend(watch, "COPY%event%") is not None)
        holder.rollback()
    assert _stored(engine, codes) == 0


def test_import_killed_during_assignment_writes_nothing(forks: Forks, faults_db,
                                                        tmp_path) -> None:
    engine, env, _ = faults_db
    path = tmp_path / "events.csv"
    codes = _events_csv(path, 50, "A")
    with engine.connect() as holder, engine.connect() as watch:
        # only the assignment reads workers' grid links: it waits there, every row written
        holder.execute(text("LOCK TABLE grid_worker_grid IN ACCESS EXCLUSIVE MODE"))
        pid = forks.run(["import", "events", str(path)], env)
        _kill_when(forks, pid, lambda: _waits_on(watch, "grid_worker_grid"))
        holder.rollback()
    assert _stored(engine, codes) == 0


def _grids(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, code, version, valid_to, ST_AsEWKB(geom) FROM grid ORDER BY id"))]


def test_plan_apply_killed_half_way_changes_nothing(forks: Forks, faults_db) -> None:
    engine, env, _ = faults_db
    with Session(engine) as session:
        plan_id = plans.create_plan(session, kind="balance", scope_code="320706913001",
                                    created_by="test").id
        session.commit()
    before = _grids(engine)
    with engine.connect() as holder, engine.connect() as watch:
        # grids retired and new ones inserted, then the buildings' move waits here
        holder.execute(text("LOCK TABLE building IN SHARE MODE"))
        pid = forks.run(["plan", "apply", str(plan_id), "--confirm-unstaffed"], env)
        _kill_when(forks, pid, lambda: _waits_on(watch, "building"))
        holder.rollback()
    assert _grids(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM plan WHERE id = :p"),
                            {"p": plan_id}).scalar_one() == "draft"


def test_key_revoked_mid_session_stops_working_on_the_next_request(forks: Forks,
                                                                  faults_db) -> None:
    engine, env, _ = faults_db
    with Session(engine) as session:
        key = keys.create_key(session, role="dispatcher",
                              secret=env["GRIDMAP_SECRET_KEY"].encode())
        session.commit()
    pid, port = forks.serve(env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as web:
            login = web.post("/map/login", data={"key": key, "next": "/map"})
            cookie = {"gridmap_key": login.cookies["gridmap_key"]}
            bearer = {"Authorization": f"Bearer {key}"}
            assert web.get("/api/v1/events", headers=bearer).status_code == 200
            assert web.get("/api/v1/events", cookies=cookie).status_code == 200
            # a keyed tile: the key held by the server once checked (gis.access.keycheck)
            tile = "/tiles/events/14/13622/6515.pbf"
            assert {web.get(tile, headers=bearer).status_code for _ in range(3)} <= {200, 204}
            assert forks.wait(forks.run(["keys", "revoke", key.split("_")[1]], env)) == 0
            assert web.get("/api/v1/events", headers=bearer).status_code == 401
            assert web.get("/api/v1/events", cookies=cookie).status_code == 401
            assert web.get(tile, headers=bearer).status_code == 401  # heard by NOTIFY
    finally:
        forks.kill(pid)
