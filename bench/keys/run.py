"""Benchmark: what a key costs per request, ours (HMAC digest, one indexed query) against the
anonymous request on the same route and against the old scrypt check, in one run.

  anonymous     no Authorization header: the floor (no key to check)
  ours_keyed    ``Authorization: Bearer <key>``: gis.access.keys.caller_from_token, one
                HMAC-SHA256 and one query on the unique digest index that also checks
                revocation and expiry (gis/core/sql/key_verify.sql)
  scrypt_keyed  the same key against bench/keys/scrypt_app.py: gridmap with the key check as it
                was before migration 0008 (row by prefix, scrypt recomputed per request)

Two local uvicorn servers (one worker each) on the demo district (seed 42): ours and the
scrypt peer. Routes: ``GET /api/v1/grids?limit=10`` and a grid vector tile at z15 over the
district's centre, both the same work for every caller, so the difference is the key check.
Requests are sequential on keep-alive connections and interleaved (anonymous, ours, scrypt,
anonymous, ...) so a busy machine slows all three alike; an untimed warm-up first. Also timed
in process: the digest alone and ``caller_from_token`` against the database.

Writes bench/results/keys.json; ``python -m bench keys``. BENCH_KEYS_REQUESTS (default 400)
rounds per route (anonymous and ours in each, the scrypt peer in every 4th).
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import serving  # noqa: E402
from gis import demo  # noqa: E402
from gis.access import keys  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

REQUESTS = int(os.environ.get("BENCH_KEYS_REQUESTS", "400"))
SCRYPT_EVERY = 4  # the peer joins every 4th round: its ~35-170 ms a request would set the pace
SECRET = "bench-keys-server-secret"
CENTRE = "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) AS c FROM grid) g"


def tile_at(lon: float, lat: float, z: int) -> str:
    """The XYZ (Web Mercator) tile path holding lon/lat at zoom z."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/grids/{z}/{x}/{y}.pbf"


@contextmanager
def server(app: str, engine: Engine) -> Iterator[str]:
    """A uvicorn of ``app`` on a free loopback port over ``engine``'s database."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRIDMAP_SECRET_KEY": SECRET,
           "GRIDMAP_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        serving.wait_until_up(base)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)



Callers = dict[str, tuple[httpx.Client, dict[str, str], int]]


def latencies(callers: Callers, path: str) -> dict[str, dict]:
    """Interleaved sequential GETs of ``path`` (a caller with ``every`` n joins every n-th
    round): p50/p90/mean per caller, status counts."""
    for client, headers, _ in callers.values():  # warm-up: connections, caches, first stamp
        for _ in range(10):
            client.get(path, headers=headers).raise_for_status()
    times: dict[str, list[float]] = {name: [] for name in callers}
    codes: dict[str, dict[str, int]] = {name: {} for name in callers}
    for round_ in range(REQUESTS):
        for name, (client, headers, every) in callers.items():
            if round_ % every:
                continue
            started = time.perf_counter()
            status = client.get(path, headers=headers).status_code
            times[name].append(time.perf_counter() - started)
            codes[name][str(status)] = codes[name].get(str(status), 0) + 1
    out = {}
    for name, values in times.items():
        ms = np.array(values) * 1000
        out[name] = {"requests": len(values), "p50_ms": round(float(np.percentile(ms, 50)), 2),
                     "p90_ms": round(float(np.percentile(ms, 90)), 2),
                     "mean_ms": round(float(ms.mean()), 2), "status_counts": codes[name]}
    floor = out["anonymous"]["p50_ms"]
    for entry in out.values():
        entry["p50_vs_anonymous"] = round(entry["p50_ms"] / floor, 2)
    return out


def in_process(engine: Engine, key: str) -> dict:
    """Microseconds of the digest alone, and the whole check against the database."""
    secret = SECRET.encode()
    started = time.perf_counter()
    for _ in range(10_000):
        keys.digest(key, secret)
    digest_us = (time.perf_counter() - started) / 10_000 * 1e6
    with Session(engine) as session:
        keys.caller_from_token(session, key, secret)
        started = time.perf_counter()
        for _ in range(500):
            keys.caller_from_token(session, key, secret)
        verify_ms = (time.perf_counter() - started) / 500 * 1000
        salt = session.scalar(text("SELECT salt FROM api_key LIMIT 1"))
        started = time.perf_counter()
        for _ in range(20):
            keys._hash(key.split("_", 2)[2], salt)
        scrypt_ms = (time.perf_counter() - started) / 20 * 1000
        session.rollback()
    return {"digest_us": round(digest_us, 2), "caller_from_token_ms": round(verify_ms, 3),
            "scrypt_ms": round(scrypt_ms, 1)}


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_keys")
    try:
        started = time.perf_counter()
        demo.load_demo(engine, seed=42)
        print(f"demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
        with Session(engine) as session, session.begin():
            key = keys.create_key(session, role="viewer", label="bench",
                                  secret=SECRET.encode())
            lon, lat = session.execute(text(CENTRE)).one()
        routes = {"grids_list": "/api/v1/grids?limit=10", "grid_tile": tile_at(lon, lat, 15)}
        results: dict[str, dict] = {}
        with ExitStack() as stack:
            ours = stack.enter_context(httpx.Client(
                base_url=stack.enter_context(server("api.main:app", engine)), timeout=30))
            peer = stack.enter_context(httpx.Client(base_url=stack.enter_context(
                server("bench.keys.scrypt_app:app", engine)), timeout=30))
            auth = {"Authorization": f"Bearer {key}"}
            callers = {"anonymous": (ours, {}, 1), "ours_keyed": (ours, auth, 1),
                       "scrypt_keyed": (peer, auth, SCRYPT_EVERY)}
            for name, path in routes.items():
                results[name] = {"path": path, **latencies(callers, path)}
                print(f"{name} {path}: " + ", ".join(
                    f"{c} p50 {r['p50_ms']} ms ({r['p50_vs_anonymous']}x)"
                    for c, r in results[name].items() if isinstance(r, dict)), flush=True)
        check = in_process(engine, key)
        print(f"in process: {check}", flush=True)
    finally:
        dbs.drop_database(settings, engine)
    result = {"rounds_per_route": REQUESTS, "scrypt_every": SCRYPT_EVERY, "routes": results,
              "in_process": check, "target": "ours_keyed p50 <= 1.2 x anonymous p50",
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    out = ROOT / "bench" / "results" / "keys.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
