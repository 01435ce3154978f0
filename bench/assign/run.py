"""Benchmark: bulk assignment of random points to the demo grids, three ways in one run,
and locate latency over HTTP.

  ours       gis.grids.assign.assign_events as production runs it: since issue 14.4 the
             in-memory path (gis/grids/assign_bulk.py: binary COPY out, shapely picks, only
             changed events written); ``ours_sql`` is the SQL path it replaced: one SELECT
             picks grid, grid version, community, subdistrict and primary worker of every
             event whose assignment changes (ST_Covers with the lowest code on shared edges,
             the 50 m rule for points just outside; gis/core/sql/assign_events_pick.sql) into
             a temporary table, and one UPDATE writes them; as most of the table changes, both
             drop the event table's indexes and foreign keys for the write and build them
             again (gis/core/bulkwrite.py; the time includes building them)
  ours_in_place      the same, written in place (rebuild=False): every index and key
             maintained row by row, as the peers do
  ours_no_50m        ours with the 50 m rule switched off (MAX_OUTSIDE_M = 0): the same
             output as postgis_full, to compare like with like
  postgis_full       the hand-written UPDATE … FROM grid WHERE ST_Covers(grid.geom,
             event.geom) storing the same five columns (grid, version, community, subdistrict,
             primary worker), no edge rule (a point on a shared edge takes whichever grid the
             plan meets first), no 50 m rule
  postgis_grid_only  the same UPDATE writing grid_id only (less output than the others)
  geopandas  read points and grids from PostGIS, gpd.sjoin(predicate="covered_by") in
             memory, first match kept, the five columns written back (COPY to a temp table +
             UPDATE); read / sjoin / write times are reported separately

Points are uniform over the union of the demo's unified grids grown by 100 m (seed 7), so a
few percent fall just outside and exercise the 50 m rule; they are stored as events (the
demo's own events are removed first). Each method runs in its own transaction,
rolled back afterwards and followed by VACUUM (untimed), so all start from the same
unassigned table without the previous method's dead rows. Every method runs with the
settings ours uses (work_mem 256MB, JIT off; gis.grids.assign.assign_events sets them itself), so
the peers are not handicapped by JIT compile time or small sorts. Locate latency: a fixed
number of sequential GET /api/v1/locate requests against a local uvicorn (keep-alive).

Writes bench/results/assign.json; run with ``python -m bench assign``. Environment:
BENCH_ASSIGN_POINTS (default 1,000,000), BENCH_LOCATE_REQUESTS (default 2,000),
BENCH_ASSIGN_ROUNDS (default 3; ``seconds`` is the best round, ``runs_s`` all of them).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import serving  # noqa: E402
from gis import demo  # noqa: E402
from gis.core import frames  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.grids import assign  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

POINTS = int(os.environ.get("BENCH_ASSIGN_POINTS", "1000000"))
REQUESTS = int(os.environ.get("BENCH_LOCATE_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ASSIGN_ROUNDS", "3"))
METRIC_EPSG = 4549  # CGCS2000 Gauss-Kruger zone of the demo district (gis.core.crs.metric_epsg)
SPREAD_M = 100.0
GRIDS = "SELECT id, code, geom FROM grid WHERE theme = 'unified' AND valid_to IS NULL"
GRID_FIELDS = """
SELECT g.id AS grid_id, g.version AS grid_version, g.community_code,
       c.parent_code AS subdistrict_code, w.worker_id, g.geom
FROM grid g JOIN region c ON c.code = g.community_code
LEFT JOIN grid_worker_grid w ON w.grid_id = g.id AND w.is_primary
WHERE g.theme = 'unified' AND g.valid_to IS NULL
"""
HAND_SQL = """
UPDATE event e SET grid_id = g.id
FROM grid g
WHERE g.theme = 'unified' AND g.valid_to IS NULL AND ST_Covers(g.geom, e.geom)
"""
HAND_FULL_SQL = """
UPDATE event e
SET grid_id = g.id, grid_version = g.version, community_code = g.community_code,
    subdistrict_code = c.parent_code, worker_id = w.worker_id
FROM grid g JOIN region c ON c.code = g.community_code
LEFT JOIN grid_worker_grid w ON w.grid_id = g.id AND w.is_primary
WHERE g.theme = 'unified' AND g.valid_to IS NULL AND ST_Covers(g.geom, e.geom)
"""
COLUMNS = ["grid_id", "grid_version", "community_code", "subdistrict_code", "worker_id"]


def sample_points(grids: gpd.GeoDataFrame, rng: np.random.Generator) -> np.ndarray:
    """POINTS uniform over the grids' union grown by SPREAD_M (metric), as lon/lat pairs."""
    metric = grids.to_crs(METRIC_EPSG)
    area = shapely.union_all(metric.geometry.values).buffer(SPREAD_M)
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    chunks, total = [], 0
    while total < POINTS:  # rejection sampling, vectorised per batch
        x, y = rng.uniform(minx, maxx, POINTS), rng.uniform(miny, maxy, POINTS)
        keep = shapely.contains_xy(area, x, y)
        chunks.append(np.column_stack([x[keep], y[keep]]))
        total += int(keep.sum())
    xy = np.concatenate(chunks)[:POINTS]
    lonlat = gpd.GeoSeries(shapely.points(xy), crs=METRIC_EPSG).to_crs(4490)
    return np.column_stack([lonlat.x.to_numpy(), lonlat.y.to_numpy()])


def load_points(engine: Engine, rng: np.random.Generator) -> tuple[float, ...]:
    """Replace the demo events by POINTS unassigned random events; returns their bbox."""
    with Session(engine) as session, session.begin():
        grids = frames.frame_from_sql(session, GRIDS)
        lonlat = sample_points(grids, rng)
        session.execute(text("DELETE FROM event_log; DELETE FROM event"))
        ids = np.arange(1, POINTS + 1)
        frame = pd.DataFrame({
            "id": ids, "code": [f"BENCH-{i:07d}" for i in ids], "category": "other",
            "channel": "other", "status": "reported",
            "geom": shapely.points(lonlat)})
        frames.copy_frame(session, frame, "event")
        session.execute(text("SELECT setval(pg_get_serial_sequence('event', 'id'), :n)"),
                        {"n": POINTS})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE event")
    return (*lonlat.min(axis=0), *lonlat.max(axis=0))


def timed(engine: Engine, work) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    """Run ``work(session)`` in a transaction, time it, collect the outcome, roll back.

    VACUUM first (untimed): every method's rolled-back UPDATE leaves a million dead row
    versions and index entries behind, which would slow whichever method runs next.
    """
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM event")
    with Session(engine) as session:
        session.execute(text("SELECT set_config('work_mem', :mem, true), "
                             "set_config('jit', 'off', true)"), {"mem": assign.BULK_WORK_MEM})
        session.execute(text("SELECT count(*) FROM event"))  # same warm cache for all
        started = time.perf_counter()
        extra = work(session) or {}
        seconds = time.perf_counter() - started
        outcome = session.execute(text(
            "SELECT count(grid_id) AS assigned, count(*) - count(grid_id) AS unassigned, "
            "md5(string_agg(id::text || ':' || coalesce(grid_id::text, '-'), ',' ORDER BY id)) "
            "AS digest FROM event")).mappings().one()
        session.rollback()
    return seconds, {**dict(outcome), **extra}


def ours(session: Session) -> dict:
    return {"rows_written": assign.assign_events(session)}


def ours_sql(session: Session) -> dict:
    return {"rows_written": assign.assign_events(session, engine="sql")}


def ours_in_place(session: Session) -> dict:
    return {"rows_written": assign.assign_events(session, rebuild=False)}


def ours_no_50m(session: Session) -> dict:
    """Ours with the 50 m rule off: the same output as the hand-written UPDATE (like for like)."""
    kept = assign.MAX_OUTSIDE_M
    assign.MAX_OUTSIDE_M = 0.0
    try:
        return {"rows_written": assign.assign_events(session)}
    finally:
        assign.MAX_OUTSIDE_M = kept


def postgis(session: Session) -> dict:
    return {"rows_written": session.execute(text(HAND_SQL)).rowcount}  # type: ignore[attr-defined]


def postgis_full(session: Session) -> dict:
    return {"rows_written":
            session.execute(text(HAND_FULL_SQL)).rowcount}  # type: ignore[attr-defined]


def geopandas_sjoin(session: Session) -> dict:
    """Read points and grids, sjoin in memory, write the same five columns as ours."""
    started = time.perf_counter()
    points = frames.frame_from_sql(session, "SELECT id, geom FROM event")
    grids = frames.frame_from_sql(session, GRID_FIELDS)
    read = time.perf_counter() - started
    started = time.perf_counter()
    joined = gpd.sjoin(points, grids, predicate="covered_by", how="inner")
    joined = joined[~joined.index.duplicated(keep="first")]
    sjoin = time.perf_counter() - started
    started = time.perf_counter()
    session.execute(text("CREATE TEMP TABLE bench_pick (id int, grid_id int, grid_version int, "
                         "community_code text, subdistrict_code text, worker_id int) "
                         "ON COMMIT DROP"))
    picks = joined[["id", *COLUMNS]].astype({"worker_id": "Int64"})
    frames.copy_frame(session, picks, "bench_pick")
    session.execute(text(
        "UPDATE event e SET grid_id = p.grid_id, grid_version = p.grid_version, "
        "community_code = p.community_code, subdistrict_code = p.subdistrict_code, "
        "worker_id = p.worker_id FROM bench_pick p WHERE e.id = p.id"))
    write = time.perf_counter() - started
    return {"read_s": round(read, 2), "sjoin_s": round(sjoin, 2), "write_s": round(write, 2)}


def locate_latency(engine: Engine, bbox: tuple[float, ...], rng: np.random.Generator) -> dict:
    """p50/p99 of GET /api/v1/locate over HTTP (sequential, keep-alive, local uvicorn)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRIDMAP_DATABASE_URL": engine.url.render_as_string(
        hide_password=False)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port),
         "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        serving.wait_until_up(base)
        minx, miny, maxx, maxy = bbox
        lon, lat = rng.uniform(minx, maxx, REQUESTS), rng.uniform(miny, maxy, REQUESTS)
        times, status = [], []
        with httpx.Client(base_url=base, timeout=30) as client:
            for x, y in zip(lon, lat, strict=True):
                started = time.perf_counter()
                response = client.get("/api/v1/locate", params={"lon": x, "lat": y})
                times.append(time.perf_counter() - started)
                status.append(response.status_code)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ms = np.array(times) * 1000
    codes = pd.Series(status).value_counts().to_dict()
    return {"requests": REQUESTS, "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(float(ms.mean()), 2),
            "status_counts": {str(k): int(v) for k, v in codes.items()}}



def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_assign")
    rng = np.random.default_rng(7)
    try:
        demo.load_demo(engine, seed=42)
        started = time.perf_counter()
        bbox = load_points(engine, rng)
        with engine.connect() as conn:
            grids = conn.execute(text(f"SELECT count(*) FROM ({GRIDS}) g")).scalar()
        print(f"loaded {POINTS:,} points in {time.perf_counter() - started:.1f} s", flush=True)
        methods: dict[str, dict] = {}
        for round_ in range(ROUNDS):  # rounds interleave the methods: a busy machine hits all
            for name, work in (("ours", ours), ("ours_sql", ours_sql),
                               ("ours_in_place", ours_in_place),
                               ("ours_no_50m", ours_no_50m),
                               ("postgis_full", postgis_full),
                               ("postgis_grid_only", postgis), ("geopandas", geopandas_sjoin)):
                seconds, outcome = timed(engine, work)
                entry = methods.setdefault(name, {"runs_s": []})
                entry["runs_s"].append(round(seconds, 2))
                entry.update({"seconds": min(entry["runs_s"]), **outcome})
                print(f"round {round_ + 1} {name:18s} {seconds:8.2f} s  {outcome}", flush=True)
        latency = locate_latency(engine, bbox, rng)
        print(f"locate over HTTP: {latency}", flush=True)
    finally:
        dbs.drop_database(settings, engine)
    result = {"points": POINTS, "grids": f"demo seed 42, {grids} current unified grids",
              "methods": methods, "locate_http": latency,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    out = ROOT / "bench" / "results" / "assign.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
