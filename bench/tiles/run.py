"""Benchmark: vector tiles of the demo district, ours (cold and cached) against tipg on the
same tables and against the bare ST_AsMVT query through psycopg2, in one run.

A throw-away database with the demo (seed 42); ``gridmap serve`` and tipg (``uvicorn
tipg.main:app``, asyncpg) as subprocess servers on loopback ports, one worker each, both on
that database; every request sequential on one kept-alive httpx connection per server with
``Accept-Encoding: gzip``; the timer is ``time.perf_counter`` around each request (sent to
body read) or around ``cursor.execute`` + ``fetchone`` of our own tile SQL (gis/core/sql/
tile_<layer>.sql, the statement the server runs) on one psycopg2 connection.

Tile sets: tiles holding data of buildings z16, grids z12 and z14, open events z14 (at most
``BENCH_TILES_MAX`` per set, evenly picked; a set of fewer than 16 goes round them again).
Each round walks every set tile by tile, and for each tile runs every method in an order
rotated by round and tile, so neighbouring measurements share the machine's load: ours
anonymous and ours keyed (a viewer key of the demo subdistrict) each make a *cold* request
right after a no-op write to grid, building and event (a statement that changes no row still
moves the tile versions, so every cached tile is out of date; the server hears it by
NOTIFY a few milliseconds later, and an answer still carrying the tile's old ETag is asked
again, not counted: ``cold_asked_again``), then a *warm* one (the same tile, from the
cache: no database round trip for anonymous callers, the key's check for keyed ones);
tipg one request (it keeps no tile cache); our /api/v1/health (one SELECT in one
transaction: the floor of an answer that reads the database); the bare query once with
the anonymous and once with the keyed parameters, on a connection with our server's
settings (jit off, no parallel workers).
Anonymous callers get no event tiles (401). Writes bench/results/tiles.json. Not a test:
numbers vary with the machine's load (2 cores shared by other jobs): see the per-round
ranges.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import mapbox_vector_tile
import psycopg2
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load.run import free_port, server  # noqa: E402  (server subprocess, free port)
from bench.tiles import peer  # noqa: E402
from gis import demo  # noqa: E402
from gis.access import keys  # noqa: E402
from gis.access.callers import Caller  # noqa: E402
from gis.core import sql  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.tiles import mvt  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

ROUNDS = int(os.environ.get("BENCH_TILES_ROUNDS", "5"))
MAX_TILES = int(os.environ.get("BENCH_TILES_MAX", "24"))
COLD_TRIES = 500  # 2 ms apart: a second for the server to hear the versions move
MIN_SAMPLES = 16  # per set and round: a set of fewer tiles goes round them again
SETS = [("buildings", 16), ("grids", 12), ("grids", 14), ("events", 14)]
TABLE = {"buildings": "building", "grids": "grid", "events": "event"}
HEADERS = {"Accept-Encoding": "gzip"}
Timer = Callable[[int, int, int], float]


def list_tiles(engine: Engine, layer: str, z: int) -> list[tuple[int, int, int]]:
    """The z tiles (x, y) holding rows of ``layer``'s table that its tiles draw."""
    where = {"grids": "g.valid_to IS NULL AND g.theme = 'unified'",
             "events": "gm_event_open(g.status)", "buildings": "true"}[layer]
    query = f"""
        WITH box AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(g.geom), 4490), 3857) AS b
                     FROM {TABLE[layer]} AS g WHERE {where}),
        span AS (SELECT 2 ^ :z AS n, 20037508.342789244 AS r, b FROM box)
        SELECT t.x, u.y FROM span,
          generate_series(floor((ST_XMin(b) + r) / (2 * r) * n)::int,
                          floor((ST_XMax(b) + r) / (2 * r) * n)::int) AS t(x),
          generate_series(floor((r - ST_YMax(b)) / (2 * r) * n)::int,
                          floor((r - ST_YMin(b)) / (2 * r) * n)::int) AS u(y)
        WHERE EXISTS (SELECT 1 FROM {TABLE[layer]} AS g WHERE {where} AND g.geom &&
                      ST_Transform(ST_TileEnvelope(:z, t.x, u.y), 4490))
        ORDER BY t.x, u.y"""  # table names and filters from the constants above only
    with engine.connect() as conn:
        rows = conn.execute(text(query), {"z": z}).all()
    step = max(1, len(rows) // MAX_TILES) if len(rows) > MAX_TILES else 1
    return [(z, int(x), int(y)) for x, y in rows[::step][:MAX_TILES]]


def prepare(engine: Engine) -> tuple[str, str]:
    """Load the demo; a viewer key of the demo's subdistrict and that subdistrict's code."""
    demo.load_demo(engine, seed=42)
    with Session(engine) as session, session.begin():
        region = session.execute(text("SELECT min(code) FROM region "
                                      "WHERE level = 'subdistrict'")).scalar_one()
        key = keys.create_key(session, role="viewer", region_code=region, label="bench tiles")
    return key, region


def invalidate(engine: Engine) -> None:
    """Move every tile version with statements that change no row (statement triggers)."""
    with engine.begin() as conn:
        for table in ("grid", "building", "event"):
            conn.execute(text(f"UPDATE {table} SET id = id WHERE false"))


class HttpTimer:
    """Times one GET of a tile per call, remembering each tile's last ETag (``cold`` uses it
    to tell an answer served before the server heard the versions move)."""

    def __init__(self, client: httpx.Client, url: Callable[[int, int, int], str],
                 sizes: list[int]) -> None:
        self.client, self.url, self.sizes = client, url, sizes
        self.tags: dict[str, str | None] = {}
        self.repeats = 0  # cold requests answered before the server had heard: not counted

    def __call__(self, z: int, x: int, y: int) -> float:
        target = self.url(z, x, y)
        started = time.perf_counter()
        answer = self.client.get(target, headers=HEADERS)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code not in (200, 204):
            raise RuntimeError(f"{target} answered {answer.status_code}")
        self.sizes.append(len(answer.content))
        self.tags[target] = answer.headers.get("etag")
        return elapsed

    def know(self, z: int, x: int, y: int) -> None:
        """Learn the tile's ETag (untimed) if it is not known yet."""
        if self.url(z, x, y) not in self.tags:
            self(z, x, y)
            self.sizes.pop()

    def cold(self, z: int, x: int, y: int) -> float:
        """The first answer with a new ETag after the versions moved (``know`` before the
        move). The server hears of another process's commit by NOTIFY a few milliseconds
        after it: an answer before that is the old tile from the cache, not a cold one, so it
        is not counted and the tile is asked again."""
        before = self.tags[self.url(z, x, y)]
        for _ in range(COLD_TRIES):
            elapsed = self(z, x, y)
            if self.tags[self.url(z, x, y)] != before:
                return elapsed
            self.repeats += 1
            time.sleep(0.002)
        raise RuntimeError(f"{self.url(z, x, y)}: the versions moved, the ETag did not")


def http_timer(client: httpx.Client, url: Callable[[int, int, int], str],
               sizes: list[int]) -> HttpTimer:
    return HttpTimer(client, url, sizes)


def bare_timer(conn: psycopg2.extensions.connection, layer: str, keyed: bool,
               region: str) -> Timer:
    """Our tile SQL with the parameters the server binds, on a psycopg2 connection."""
    statement = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.load(f"tile_{layer}").replace("%", "%%"))
    caller = Caller(role="viewer", region_code=region) if keyed else Caller()
    spec = mvt.get_tile_layer(layer)

    def timed(z: int, x: int, y: int) -> float:
        params = mvt.tile_params(spec, caller, z, x, y, "unified")
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute(statement, params)
            cur.fetchone()
        return (time.perf_counter() - started) * 1000
    return timed


def summary(rounds: list[list[float]]) -> dict:
    """Pooled p50/p90 and the range of the per-round p50s (ms)."""
    pooled = [t for one in rounds for t in one]
    per_round = [statistics.median(one) for one in rounds if one]
    return {"p50_ms": round(statistics.median(pooled), 2),
            "p90_ms": round(statistics.quantiles(pooled, n=10)[-1], 2),
            "round_p50_range_ms": [round(min(per_round), 2), round(max(per_round), 2)],
            "samples": len(pooled)}


def feature_counts(client: httpx.Client, url: Callable[[int, int, int], str],
                   tiles: list[tuple[int, int, int]]) -> int:
    """Features in the tiles as served (to show both servers draw the same rows)."""
    total = 0
    for tile in tiles:
        body = client.get(url(*tile), headers=HEADERS).content
        if body:
            total += sum(len(v["features"]) for v in mapbox_vector_tile.decode(body).values())
    return total


def runners(clients: dict[str, httpx.Client], conn: psycopg2.extensions.connection,
            bases: dict[str, str], layer: str, region: str,
            sizes: dict[str, list[int]]) -> dict[str, tuple[Timer, bool]]:
    """Each method's timer on ``layer`` and whether it has a cache (cold and warm passes)."""
    def ours(z: int, x: int, y: int) -> str:
        return f"{bases['ours']}/tiles/{layer}/{z}/{x}/{y}.pbf"
    methods = {
        "ours_anonymous": (http_timer(clients["anonymous"], ours, sizes.setdefault(
            "ours_anonymous", [])), True),
        "ours_keyed": (http_timer(clients["keyed"], ours, sizes.setdefault("ours_keyed", [])),
                       True),
        "tipg": (http_timer(clients["tipg"], peer.tile_url(bases["tipg"], layer),
                            sizes.setdefault("tipg", [])), False),
        # the server's own floor: an answer with one query in one transaction, no tile
        "ours_health": (http_timer(clients["anonymous"],
                                   lambda *_: f"{bases['ours']}/api/v1/health", []), False),
        "bare_anonymous": (bare_timer(conn, layer, False, region), False),
        "bare_keyed": (bare_timer(conn, layer, True, region), False),
    }
    if layer == "events":  # no event tile for anonymous callers (401)
        del methods["ours_anonymous"], methods["bare_anonymous"]
    return methods


def one_round(engine: Engine, r: int, sets: dict[str, tuple[list, dict]],
              times: dict[str, dict[str, list[list[float]]]]) -> None:
    """Every method on every tile of every set, interleaved tile by tile (neighbouring
    measurements share the machine's load), in an order rotated by round and tile. A cached
    method's cold request comes right after the versions moved, its warm one right after."""
    for name, (tiles, methods) in sets.items():
        got = times.setdefault(name, {})
        this = {label: [] for label in labels(methods)}
        order = list(methods)
        for i, tile in enumerate(tiles * max(1, -(-MIN_SAMPLES // len(tiles)))):
            shift = (r + i) % len(order)
            for method in order[shift:] + order[:shift]:
                timer, cached = methods[method]
                if cached:
                    assert isinstance(timer, HttpTimer)
                    timer.know(*tile)
                    invalidate(engine)
                    this[f"{method}_cold"].append(timer.cold(*tile))
                    this[f"{method}_warm"].append(timer(*tile))
                else:
                    this[method].append(timer(*tile))
        for label, values in this.items():
            got.setdefault(label, []).append(values)


def labels(methods: dict[str, tuple[Timer, bool]]) -> list[str]:
    return [label for method, (_, cached) in methods.items()
            for label in ([f"{method}_cold", f"{method}_warm"] if cached else [method])]


def measure(engine: Engine, key: str, region: str, bases: dict[str, str]) -> dict:
    """Timings (ms) per set and method over ROUNDS interleaved rounds, with tile sizes and
    the features each server drew."""
    auth = {"Authorization": f"Bearer {key}"}
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    clients = {"anonymous": httpx.Client(timeout=60), "tipg": httpx.Client(timeout=60),
               "keyed": httpx.Client(timeout=60, headers=auth)}
    # the settings our server's tile transactions run under (gis.core.db: jit off;
    # tile_versions.sql: no parallel workers), so the floor is the same work without HTTP
    conn = psycopg2.connect(dsn, options="-c jit=off -c max_parallel_workers_per_gather=0")
    conn.autocommit = True
    times: dict[str, dict[str, list[list[float]]]] = {}
    sizes: dict[str, dict[str, list[int]]] = {}
    sets: dict[str, tuple[list, dict]] = {}
    features: dict[str, dict[str, int]] = {}
    try:
        for layer, z in SETS:
            name = f"{layer} z{z}"
            tiles = list_tiles(engine, layer, z)
            sets[name] = (tiles, runners(clients, conn, bases, layer, region,
                                         sizes.setdefault(name, {})))
            features[name] = {
                "tiles": len(tiles),
                "ours_keyed": feature_counts(clients["keyed"], lambda z_, x_, y_, la=layer: (
                    f"{bases['ours']}/tiles/{la}/{z_}/{x_}/{y_}.pbf"), tiles),
                "tipg": feature_counts(clients["tipg"], peer.tile_url(bases["tipg"], layer),
                                       tiles)}
            print(f"{name}: {features[name]}", flush=True)
        for r in range(ROUNDS):
            one_round(engine, r, sets, times)
            print(f"round {r + 1}/{ROUNDS} done, loadavg {os.getloadavg()}", flush=True)
    finally:
        conn.close()
        for client in clients.values():
            client.close()
    asked_again = {name: sum(t.repeats for t, _ in methods.values() if isinstance(t, HttpTimer))
                   for name, (_, methods) in sets.items()}
    return {"times": times, "sizes": sizes, "features": features,
            "cold_asked_again": asked_again}


def verdicts(times: dict[str, dict[str, list[list[float]]]]) -> dict[str, dict]:
    """Per set: the summaries and whether each target holds on the pooled p50."""
    out: dict[str, dict] = {}
    for name, methods in times.items():
        summ = {method: summary(rounds) for method, rounds in methods.items()}
        p50 = {method: s["p50_ms"] for method, s in summ.items()}
        checks = {}
        for who in ("anonymous", "keyed"):
            if f"ours_{who}_cold" in p50:
                checks[f"cold_{who}_at_or_below_tipg"] = p50[f"ours_{who}_cold"] <= p50["tipg"]
                checks[f"warm_{who}_at_or_below_bare"] = (
                    p50[f"ours_{who}_warm"] <= p50[f"bare_{who}"])
        out[name] = {"methods": summ, "targets": checks}
    return out


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_tiles")
    logs = Path(tempfile.mkdtemp(prefix="bench-tiles-"))
    try:
        key, region = prepare(engine)
        with server(ours_command(), engine, logs / "ours.log") as ours, \
                peer.serve(engine, logs / "tipg.log", free_port()) as tipg:
            measured = measure(engine, key, region, {"ours": ours, "tipg": tipg})
    finally:
        dbs.drop_database(settings, engine)
    results = verdicts(measured["times"])
    report = {
        "what": "vector tile latency (ms, client side), demo district (seed 42), one worker "
                "per server, sequential requests, Accept-Encoding: gzip",
        "methods": {"ours_*_cold": "gridmap right after the tile versions moved",
                    "ours_*_warm": "gridmap, the same tiles again (in-process cache)",
                    "tipg": f"tipg {peer.version()} on the same tables, same rows, the "
                            "attributes it can read there (no households per grid)",
                    "bare_*": "our tile SQL through psycopg2, no HTTP",
                    "ours_health": "gridmap's /api/v1/health (one query, one transaction, "
                                   "no tile): the floor of an answer that reads the "
                                   "database"},
        "rounds": ROUNDS, "sets": results, "features": measured["features"],
        "cold_asked_again": measured["cold_asked_again"],
        "mean_tile_bytes": {name: {m: round(statistics.mean(v)) for m, v in by.items() if v}
                            for name, by in measured["sizes"].items()},
        "all_targets_met": all(all(r["targets"].values()) for r in results.values()),
        "loadavg": os.getloadavg()}
    out = ROOT / "bench" / "results" / "tiles.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written {out}", flush=True)
    return report


def ours_command() -> list[str]:
    return [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
            "{port}", "--workers", "1"]


if __name__ == "__main__":
    main()
