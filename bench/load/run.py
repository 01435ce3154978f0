"""Benchmark: a mixed workload against a local gridmap server, with its floor in the same run.

On the demo district (seed 42), a throw-away database, ``gridmap serve`` as a subprocess on a
loopback port (its default workers), and a closed-loop client (bench/load/client.py) with
BENCH_LOAD_CONCURRENCY (16) keep-alive connections:

  mix          BENCH_LOAD_SECONDS (60) of locate (half of the requests), grid lists, grid
               tiles and building tiles at z15 (with a dispatcher key) and event intake
               (POST /api/v1/events with that key), an eighth each. Every answer must be the
               expected status (200; 204 for an empty tile; 201 for an intake) and every 201's
               event code must be in the database afterwards (lost writes).
  locate_only  BENCH_LOAD_PEER_SECONDS (15) of locate alone on the same server.
  floor_select1  a bare FastAPI app answering SELECT 1 through the same engine settings and
               served the same way (bench/load/floor_app.py), same concurrency and time.
  floor_psycopg2_locate  the locate SQL itself (gis/core/sql/locate.sql) from psycopg2 alone:
               one connection per thread, no HTTP, no Python of ours.
  locate_vs_floor_paired  locate alone on ours and SELECT 1 on the floor, both servers up,
               in BENCH_LOAD_PAIR_ROUNDS (6) alternating slices of BENCH_LOAD_PAIR_SECONDS
               (4): the ratio of the two in the same minute, which a busy shared machine
               does not blur as it blurs phases a minute apart.
  locate_hotline_ladder  issue 14.3's target (>= 1,000 locates/s at p99 <= 10 ms): locate
               on ours and SELECT 1 on the floor at concurrency 4, 8 and 16
               (BENCH_LOAD_LADDER), BENCH_LOAD_LADDER_ROUNDS (4) interleaved slices each.
  locate_hotline_rate  the same target as a rate: locate offered at 1,000 a second (open
               loop over BENCH_LOAD_RATE_CONNECTIONS (8) connections, each request timed
               from its due moment, so a stall counts in full) and SELECT 1 on the floor
               at the same rate, interleaved: p99 at that rate and whether it keeps up.

The database sessions the server opened during the mix and closed again (from
pg_stat_database.sessions and pg_stat_activity, read after the statistics settle) show
whether its pool churns. The machine's load average is recorded before, after each phase and
after: on the shared 2-core machine absolute figures are noisy; compare with the floors of
the same run. BENCH_LOAD_WORKERS passes ``--workers`` to the servers (default: serve's own).

Writes bench/results/load.json; ``python -m bench load``. Never sends anything beyond 127.0.0.1;
bounded by time and by BENCH_LOAD_MAX_REQUESTS (200,000) per phase.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psycopg2
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import serving  # noqa: E402
from bench.load import client  # noqa: E402
from gis import demo  # noqa: E402
from gis.access import keys  # noqa: E402
from gis.core import sql  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

CONCURRENCY = int(os.environ.get("BENCH_LOAD_CONCURRENCY", "16"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
PEER_SECONDS = float(os.environ.get("BENCH_LOAD_PEER_SECONDS", "15"))
MAX_REQUESTS = int(os.environ.get("BENCH_LOAD_MAX_REQUESTS", "200000"))
WORKERS = os.environ.get("BENCH_LOAD_WORKERS")  # unset: gridmap serve's default
PAIR_ROUNDS = int(os.environ.get("BENCH_LOAD_PAIR_ROUNDS", "6"))
PAIR_SECONDS = float(os.environ.get("BENCH_LOAD_PAIR_SECONDS", "4"))
PAIR_POOL = 8
LADDER_CONCURRENCY = [int(c) for c in os.environ.get("BENCH_LOAD_LADDER", "4,8,16").split(",")]
LADDER_ROUNDS = int(os.environ.get("BENCH_LOAD_LADDER_ROUNDS", "4"))
LADDER_SECONDS = float(os.environ.get("BENCH_LOAD_LADDER_SECONDS", "4"))
HOTLINE_PER_S, HOTLINE_P99_MS = 1000.0, 10.0
RATE_CONNECTIONS = int(os.environ.get("BENCH_LOAD_RATE_CONNECTIONS", "8"))
SECRET = "bench-load-server-secret"
STATS_SETTLE_S = 11.0
SUBDISTRICT = "320706013000"
ZOOM = 15
TARGETS_P99_MS = {"locate": 50.0, "event_intake": 200.0}
MIX = ["locate"] * 4 + ["grid_list", "tile_grids", "tile_buildings", "event_intake"]
EXPECTED = {"locate": {200}, "grid_list": {200}, "tile_grids": {200, 204},
            "tile_buildings": {200, 204}, "event_intake": {201}, "select1": {200}}
POINTS = """
SELECT ST_X(g), ST_Y(g) FROM (
  SELECT (ST_Dump(ST_GeneratePoints(ST_Union(geom), 2000, 7))).geom AS g
  FROM grid WHERE theme = 'unified' AND valid_to IS NULL) s
"""
EXTENT = "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM " \
         "(SELECT ST_Extent(geom) AS e FROM grid WHERE theme = 'unified') g"


def tiles_over(bbox: tuple[float, ...], z: int) -> list[tuple[int, int]]:
    """The XYZ (Web Mercator) tiles at zoom z covering a lon/lat bbox."""
    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2 ** z
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
    (x0, y1), (x1, y0) = xy(bbox[0], bbox[1]), xy(bbox[2], bbox[3])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(command: list[str], engine: Engine, log: Path,
           extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A server subprocess (``{port}`` in ``command``) on ``engine``'s database."""
    port = free_port()
    # the load is one dispatcher key writing ~20 events/s: above the default per-key write
    # limit (1200/minute), which would turn the benchmark's intake into 429s
    env = {**os.environ, "GRIDMAP_SECRET_KEY": SECRET, "GRIDMAP_RATE_LIMIT_WRITES": "100000/minute",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])),
           "GRIDMAP_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           **(extra_env or {})}
    with log.open("ab") as out:
        proc = subprocess.Popen([c.replace("{port}", str(port)) for c in command], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        serving.wait_until_up(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def ours_command() -> list[str]:
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1",
               "--port", "{port}"]
    return command + (["--workers", WORKERS] if WORKERS else [])


def floor_command() -> list[str]:
    workers = f", workers={WORKERS}" if WORKERS else ""
    return [sys.executable, "-c",
            "from api.cli.core import run_server; run_server('bench.load.floor_app:app', "
            f"host='127.0.0.1', port={{port}}{workers})"]


def mix_requests(points: np.ndarray, tiles: list[tuple[int, int]], key: str,
                 kinds: list[str]) -> Callable[[], client.Request]:
    """A deterministic endless sequence of requests of ``kinds`` (in that proportion)."""
    auth = {"Authorization": f"Bearer {key}"}
    point = itertools.cycle(points.tolist())
    tile = itertools.cycle(tiles)
    offset = itertools.cycle(range(0, 70, 10))
    kind = itertools.cycle(kinds)
    serial = itertools.count()

    def make(name: str) -> client.Request:
        if name == "locate":
            lon, lat = next(point)
            return client.Request(name, "GET", f"/api/v1/locate?lon={lon:.6f}&lat={lat:.6f}")
        if name == "grid_list":
            return client.Request(name, "GET", f"/api/v1/grids?limit=10&offset={next(offset)}")
        if name.startswith("tile_"):
            x, y = next(tile)
            return client.Request(name, "GET", f"/tiles/{name[5:]}/{ZOOM}/{x}/{y}.pbf",
                                  auth if name == "tile_buildings" else {})
        if name == "event_intake":
            lon, lat = next(point)
            body = {"category": "noise", "channel": "12345",
                    "description": f"bench load {next(serial)}: 夜间施工噪音",
                    "location": {"lon": lon, "lat": lat, "crs": "EPSG:4490"}}
            return client.Request(name, "POST", "/api/v1/events",
                                  {**auth, "Content-Type": "application/json"},
                                  client.json_body(body))
        return client.Request(name, "GET", "/select1")

    return lambda: make(next(kind))


def summarize(outcomes: list[client.Outcome], wall: float) -> dict:
    kinds: dict[str, list[client.Outcome]] = {}
    for o in outcomes:
        kinds.setdefault(o.kind, []).append(o)
    out: dict[str, dict] = {}
    for name, rows in sorted(kinds.items()):
        ms = np.array([o.seconds for o in rows]) * 1000
        codes: dict[str, int] = {}
        for o in rows:
            codes[str(o.status)] = codes.get(str(o.status), 0) + 1
        out[name] = {"requests": len(rows), "per_s": round(len(rows) / wall, 1),
                     "p50_ms": round(float(np.percentile(ms, 50)), 1),
                     "p99_ms": round(float(np.percentile(ms, 99)), 1),
                     "max_ms": round(float(ms.max()), 1),
                     "errors": sum(1 for o in rows if o.status not in EXPECTED[name]),
                     "status_counts": codes}
    ms = np.array([o.seconds for o in outcomes]) * 1000
    out["all"] = {"requests": len(outcomes), "per_s": round(len(outcomes) / wall, 1),
                  "p50_ms": round(float(np.percentile(ms, 50)), 1),
                  "p99_ms": round(float(np.percentile(ms, 99)), 1),
                  "errors": sum(v["errors"] for v in out.values()), "seconds": round(wall, 1)}
    return out


def drive(base: str, make: Callable[[], client.Request], seconds: float,
          concurrency: int = CONCURRENCY, rate: float | None = None) -> tuple[dict, list]:
    cpu = time.process_time()
    outcomes, wall = client.run(base, make, concurrency=concurrency, seconds=seconds,
                                max_requests=MAX_REQUESTS, rate=rate)
    result = summarize(outcomes, wall)
    result["all"]["client_cpu_share"] = round((time.process_time() - cpu) / wall, 2)
    result["all"]["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    return result, outcomes


def sessions(engine: Engine) -> tuple[int, int]:
    """Database sessions ever opened (pg_stat_database.sessions) and open now (the server's).

    A backend reports its statistics at most once a second and, once idle, within 10 s
    (PostgreSQL 15): wait that out so the count holds every connection made so far."""
    time.sleep(STATS_SETTLE_S)
    with engine.connect() as conn:
        ever = conn.execute(text(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
        now = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"))
        return int(ever.scalar_one()), int(now.scalar_one())


def lost_writes(engine: Engine, outcomes: list[client.Outcome]) -> dict:
    codes = [json.loads(o.body)["properties"]["code"] for o in outcomes
             if o.kind == "event_intake" and o.status == 201]
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM event WHERE code = ANY(:codes)"),
                             {"codes": codes}).scalar_one()
    return {"acknowledged": len(codes), "found": int(found), "lost": len(codes) - int(found)}


def paired(engine: Engine, log: Path, points: np.ndarray, key: str) -> dict:
    """Locate alone on ours and SELECT 1 on the floor, both servers up, in PAIR_ROUNDS
    alternating slices of PAIR_SECONDS: both see the same machine (on a shared one the load
    moves within seconds). Each server's pool is PAIR_POOL so that both fit the embedded
    cluster's max_connections. Returns both summaries and the ratios of each round."""
    env = {"GRIDMAP_DB_POOL_SIZE": str(PAIR_POOL)}
    runs: dict[str, list[client.Outcome]] = {"locate": [], "select1": []}
    walls = {"locate": 0.0, "select1": 0.0}
    rounds = []
    with server(ours_command(), engine, log, env) as ours, \
            server(floor_command(), engine, log, env) as floor:
        for base, kind in ((ours, "locate"), (floor, "select1")):
            drive(base, mix_requests(points, [], key, [kind]), 3)  # warm-up, untimed
        for _ in range(PAIR_ROUNDS):
            this = {}
            for base, kind in ((ours, "locate"), (floor, "select1")):
                started = time.perf_counter()
                result, outcomes = drive(base, mix_requests(points, [], key, [kind]),
                                         PAIR_SECONDS)
                walls[kind] += time.perf_counter() - started
                runs[kind] += outcomes
                this[kind] = result[kind]
            rounds.append({"per_s_ratio": round(this["locate"]["per_s"]
                                                / this["select1"]["per_s"], 3),
                           "p99_ratio": round(this["locate"]["p99_ms"]
                                              / this["select1"]["p99_ms"], 2)})
    out = {kind: summarize(runs[kind], walls[kind])[kind] for kind in runs}
    ratios = {k: sorted(r[k] for r in rounds) for k in ("per_s_ratio", "p99_ratio")}
    return out | {"rounds": rounds, "pool_size": PAIR_POOL, "slice_seconds": PAIR_SECONDS,
                  "median_per_s_ratio": ratios["per_s_ratio"][len(rounds) // 2],
                  "median_p99_ratio": ratios["p99_ratio"][len(rounds) // 2]}


def ladder(engine: Engine, log: Path, points: np.ndarray, key: str) -> dict:
    """The hotline target (issue 14.3: >= 1,000 locates/s at p99 <= 10 ms): locate alone on
    ours and SELECT 1 on the floor, both servers up with serve's default workers, at each of
    LADDER_CONCURRENCY in LADDER_ROUNDS interleaved slices of LADDER_SECONDS (ours, floor,
    ours, floor...), so both see the same moments of a shared machine. Per concurrency: each
    round's figures, their ranges, and in how many rounds each met the target."""
    out: dict = {"rounds": LADDER_ROUNDS, "slice_seconds": LADDER_SECONDS, "by_concurrency": {}}
    with server(ours_command(), engine, log, {"GRIDMAP_DB_POOL_SIZE": str(PAIR_POOL)}) as ours, \
            server(floor_command(), engine, log, {"GRIDMAP_DB_POOL_SIZE": str(PAIR_POOL)}) as floor:
        for base, kind in ((ours, "locate"), (floor, "select1")):
            drive(base, mix_requests(points, [], key, [kind]), 3)  # warm-up, untimed
        for conc in LADDER_CONCURRENCY:
            rounds: dict[str, list[dict]] = {"locate": [], "select1": []}
            for _ in range(LADDER_ROUNDS):
                for base, kind in ((ours, "locate"), (floor, "select1")):
                    result, _ = drive(base, mix_requests(points, [], key, [kind]),
                                      LADDER_SECONDS, conc)
                    rounds[kind].append({k: result[kind][k] for k in
                                         ("per_s", "p50_ms", "p99_ms", "errors")}
                                        | {"loadavg": result["all"]["loadavg_1min_after"]})
            out["by_concurrency"][str(conc)] = {
                kind: {"rounds": rows,
                       "per_s_range": [min(r["per_s"] for r in rows),
                                       max(r["per_s"] for r in rows)],
                       "p99_ms_range": [min(r["p99_ms"] for r in rows),
                                        max(r["p99_ms"] for r in rows)],
                       "rounds_meeting_target": sum(
                           r["per_s"] >= HOTLINE_PER_S and r["p99_ms"] <= HOTLINE_P99_MS
                           for r in rows)}
                for kind, rows in rounds.items()}
            print(f"ladder c{conc}: {json.dumps(out['by_concurrency'][str(conc)])}", flush=True)
    return out


def hotline_rate(engine: Engine, log: Path, points: np.ndarray, key: str) -> dict:
    """Issue 14.3's target as a rate: locate offered at HOTLINE_PER_S (1,000 a second, open
    loop over RATE_CONNECTIONS keep-alive connections, each request timed from its due
    moment) on ours, and SELECT 1 at the same rate on the floor, in LADDER_ROUNDS
    interleaved slices of LADDER_SECONDS: the p99 a hotline sees at that rate, and whether
    the server keeps up (answered per second)."""
    rounds: dict[str, list[dict]] = {"locate": [], "select1": []}
    env = {"GRIDMAP_DB_POOL_SIZE": str(PAIR_POOL)}
    with server(ours_command(), engine, log, env) as ours, \
            server(floor_command(), engine, log, env) as floor:
        for base, kind in ((ours, "locate"), (floor, "select1")):
            drive(base, mix_requests(points, [], key, [kind]), 3)  # warm-up, untimed
        for _ in range(LADDER_ROUNDS):
            for base, kind in ((ours, "locate"), (floor, "select1")):
                result, _ = drive(base, mix_requests(points, [], key, [kind]), LADDER_SECONDS,
                                  RATE_CONNECTIONS, rate=HOTLINE_PER_S)
                rounds[kind].append({k: result[kind][k] for k in
                                     ("per_s", "p50_ms", "p99_ms", "max_ms", "errors")}
                                    | {"loadavg": result["all"]["loadavg_1min_after"]})
    out: dict = {"offered_per_s": HOTLINE_PER_S, "connections": RATE_CONNECTIONS,
                 "slice_seconds": LADDER_SECONDS}
    for kind, rows in rounds.items():
        out[kind] = {"rounds": rows,
                     "p99_ms_range": [min(r["p99_ms"] for r in rows),
                                      max(r["p99_ms"] for r in rows)],
                     "rounds_meeting_target": sum(
                         r["per_s"] >= 0.98 * HOTLINE_PER_S and r["p99_ms"] <= HOTLINE_P99_MS
                         and r["errors"] == 0 for r in rows)}
    print(f"hotline at {HOTLINE_PER_S:.0f}/s: {json.dumps(out)}", flush=True)
    return out


def psycopg2_locate(engine: Engine, points: np.ndarray, seconds: float) -> dict:
    """The locate SQL from psycopg2 alone, CONCURRENCY threads with a connection each."""
    statement = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.load("locate"))
    dsn = engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg2",
                                                                    "postgresql")
    times: list[float] = []
    deadline = time.perf_counter() + seconds

    def work(i: int) -> None:
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        mine = []
        with conn.cursor() as cur:
            for lon, lat in itertools.islice(itertools.cycle(points.tolist()), i * 97, None):
                if time.perf_counter() > deadline or len(mine) > MAX_REQUESTS:
                    break
                started = time.perf_counter()
                cur.execute(statement, {"lon": lon, "lat": lat, "at": None})
                cur.fetchall()
                mine.append(time.perf_counter() - started)
        conn.close()
        times.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ms = np.array(times) * 1000
    return {"requests": len(times), "per_s": round(len(times) / wall, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1)}


def prepare(engine: Engine) -> tuple[np.ndarray, list[tuple[int, int]], str]:
    demo.load_demo(engine, seed=42)
    with Session(engine) as session, session.begin():
        key = keys.create_key(session, role="dispatcher", region_code=SUBDISTRICT,
                              label="bench load", secret=SECRET.encode())
        points = np.array(session.execute(text(POINTS)).all(), dtype=float)
        bbox = tuple(session.execute(text(EXTENT)).one())
    return points, tiles_over(bbox, ZOOM), key


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_load")
    log = Path(tempfile.mkdtemp(prefix="bench-load-")) / "servers.log"
    load_before = os.getloadavg()
    try:
        points, tiles, key = prepare(engine)
        with server(ours_command(), engine, log) as base:
            drive(base, mix_requests(points, tiles, key, MIX), 5)  # warm-up, untimed
            before, open_before = sessions(engine)
            mix, outcomes = drive(base, mix_requests(points, tiles, key, MIX), SECONDS)
            after, open_after = sessions(engine)
            # the bench's own engine is pooled: every new session is the server's. A pool
            # growing to its size opens sessions and keeps them; churn is what it closed again
            mix["all"]["db_sessions"] = {"open_before": open_before, "opened": after - before,
                                         "open_after": open_after,
                                         "closed": open_before + after - before - open_after}
            mix["lost_writes"] = lost_writes(engine, outcomes)
            print(f"mix: {json.dumps(mix, ensure_ascii=False)}", flush=True)
            locate_only, _ = drive(base, mix_requests(points, tiles, key, ["locate"]),
                                   PEER_SECONDS)
            print(f"locate only: {locate_only['locate']}", flush=True)
        with server(floor_command(), engine, log) as base:
            drive(base, mix_requests(points, tiles, key, ["select1"]), 3)
            floor, _ = drive(base, mix_requests(points, tiles, key, ["select1"]), PEER_SECONDS)
            print(f"floor SELECT 1: {floor['select1']}", flush=True)
        bare = psycopg2_locate(engine, points, PEER_SECONDS)
        print(f"floor psycopg2 locate SQL: {bare}", flush=True)
        pairs = paired(engine, log, points, key)
        print(f"locate / SELECT 1 in alternating slices: {pairs}", flush=True)
        hotline = ladder(engine, log, points, key)
        at_rate = hotline_rate(engine, log, points, key)
    finally:
        dbs.drop_database(settings, engine)
    load_after = os.getloadavg()
    met = {kind: mix[kind]["p99_ms"] < limit for kind, limit in TARGETS_P99_MS.items()}
    result = {
        "workload": {"concurrency": CONCURRENCY, "seconds": SECONDS,
                     "peer_seconds": PEER_SECONDS, "mix": {k: MIX.count(k) / len(MIX)
                                                           for k in dict.fromkeys(MIX)},
                     "server_workers": WORKERS or "gridmap serve default",
                     "demo": "seed 42", "tiles": f"{len(tiles)} tiles at z{ZOOM}"},
        "mix": mix, "locate_only": locate_only["locate"] | {"all": locate_only["all"]},
        "floor_select1": floor["select1"] | {"all": floor["all"]},
        "floor_psycopg2_locate": bare, "locate_vs_floor_paired": pairs,
        "locate_hotline_ladder": hotline, "locate_hotline_rate": at_rate,
        "hotline_target": {"per_s": HOTLINE_PER_S, "p99_ms": HOTLINE_P99_MS},
        "targets_p99_ms": TARGETS_P99_MS, "targets_met": met,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "loadavg_before": [round(v, 2) for v in load_before],
                    "loadavg_after": [round(v, 2) for v in load_after]},
    }
    out = ROOT / "bench" / "results" / "load.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"targets met: {met}; load average {load_before} -> {load_after}", flush=True)
    return result


if __name__ == "__main__":
    main()
