"""Benchmark: bulk assignment of N random events (1M, 5M, 20M) by every engine, in one run.

  postgis   gis.grids.assign.assign_events(engine="sql"): the SQL pick in the database
            (gis/core/sql/assign_events_pick.sql) into a temporary table, one UPDATE
  memory    gis.grids.assign.assign_events() as production runs it (14.4): binary COPY out,
            shapely picks in this process, only changed events written (COPY + UPDATE)
  dask      gis.batch.engine.assign_events(engine="dask"): GeoParquet per subdistrict, the
            join on a LocalCluster of 2 worker processes, COPY + UPDATE back

Every run starts from the same unassigned events (each in its own transaction, rolled back,
then an untimed VACUUM), so each writes every located event: the write-back (with the event
table's indexes rebuilt) is part of every figure. ``recheck`` runs the memory and dask
engines once more after one committed assignment, when nothing changes: the pick alone plus
reading, the cost of re-checking after a small grid edit.

Points: uniform over the demo's unified grids grown by 100 m (seed 7, as bench/assign),
loaded with a binary COPY into a staging table and one INSERT with the event table's indexes
rebuilt. A size whose estimate (the previous size's time scaled) exceeds
BENCH_BATCH_BUDGET_S (default 900 s) is skipped with a note. Environment:
BENCH_BATCH_SIZES (default 1000000,5000000,20000000), BENCH_BATCH_ROUNDS (default 2).
Writes bench/results/batch.json; run with ``python -m bench batch``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.assign.run import GRIDS, sample_points  # noqa: E402
from gis import demo  # noqa: E402
from gis.batch import engine as batching  # noqa: E402
from gis.core import bulkwrite, frames  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.grids import assign  # noqa: E402
from tests import dbs  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_BATCH_SIZES",
                                        "1000000,5000000,20000000").split(",")]
ROUNDS = int(os.environ.get("BENCH_BATCH_ROUNDS", "2"))
BUDGET_S = float(os.environ.get("BENCH_BATCH_BUDGET_S", "900"))
DIGEST = ("SELECT count(grid_id) AS assigned, md5(string_agg(id::text || ':' || "
          "coalesce(grid_id::text, '-'), ',' ORDER BY id)) AS digest FROM event")


def load_points(engine: Engine, n: int) -> float:
    """Replace the events by ``n`` unassigned random ones; returns the seconds it took."""
    import bench.assign.run as assign_bench

    started = time.perf_counter()
    assign_bench.POINTS = n
    with Session(engine) as session, session.begin():
        lonlat = sample_points(frames.frame_from_sql(session, GRIDS), np.random.default_rng(7))
        session.execute(text("DELETE FROM event_log; DELETE FROM event; "
                             "CREATE TEMP TABLE stage (x float8, y float8) ON COMMIT DROP"))
        rows = np.zeros(n, dtype=[("n", ">i2"), ("lx", ">i4"), ("x", ">f8"), ("ly", ">i4"),
                                  ("y", ">f8")])
        rows["n"], rows["lx"], rows["ly"] = 2, 8, 8
        rows["x"], rows["y"] = lonlat[:, 0], lonlat[:, 1]
        raw = session.connection().connection.dbapi_connection
        with raw.cursor() as cur:
            cur.copy_expert("COPY stage FROM STDIN (FORMAT binary)", io.BytesIO(
                b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rows.tobytes() + b"\xff\xff"))
        with bulkwrite.indexes_rebuilt(session, "event"):
            session.execute(text(
                "INSERT INTO event (id, code, category, channel, status, geom) "
                "SELECT i, 'BENCH-' || i, 'other', 'other', 'reported', "
                "ST_SetSRID(ST_MakePoint(x, y), 4490) "
                "FROM (SELECT row_number() OVER () AS i, x, y FROM stage) s"))
        session.execute(text("SELECT setval(pg_get_serial_sequence('event', 'id'), :n)"),
                        {"n": n})
    _vacuum(engine, "VACUUM ANALYZE event")
    return time.perf_counter() - started


def _vacuum(engine: Engine, statement: str = "VACUUM event") -> None:
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(statement)


def timed(engine: Engine, work: Callable[[Session, dict], int], *, keep: bool = False
          ) -> dict:
    """Run ``work`` in a transaction; seconds, rows written, digest; rolled back unless keep."""
    _vacuum(engine)
    timings: dict = {}
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM event"))  # same warm cache for all
        started = time.perf_counter()
        written = work(session, timings)
        seconds = time.perf_counter() - started
        outcome = dict(session.execute(text(DIGEST)).mappings().one())
        session.commit() if keep else session.rollback()
    return {"seconds": round(seconds, 2), "rows_written": written, **outcome, **timings}


def postgis(session: Session, timings: dict) -> int:
    return assign.assign_events(session, engine="sql")


def memory(session: Session, timings: dict) -> int:
    return assign.assign_events(session, engine="memory")


SCHEDULER: list[str] = []
"""The bench's LocalCluster (2 worker processes, one thread each), started once, as a
deployed cluster would be up before work arrives; its start time is reported apart."""


def dask(session: Session, timings: dict) -> int:
    return batching.assign_events(session, engine="dask", scheduler=SCHEDULER[0],
                                  timings=timings)


def size_run(engine: Engine, n: int) -> dict:
    """Every engine on ``n`` events, ROUNDS interleaved rounds, then the re-checks."""
    entry: dict = {"points": n, "load_s": round(load_points(engine, n), 1), "methods": {},
                   "load_average_at_start": [round(v, 1) for v in os.getloadavg()]}
    print(f"{n:,} points loaded in {entry['load_s']} s", flush=True)
    for round_ in range(ROUNDS):
        for name, work in (("postgis", postgis), ("memory", memory), ("dask", dask)):
            result = timed(engine, work)
            runs = entry["methods"].setdefault(name, {"runs_s": []})
            runs["runs_s"].append(result["seconds"])
            runs.update({k: v for k, v in result.items() if k != "seconds"})
            print(f"  round {round_ + 1} {name:8s} {result['seconds']:8.2f} s  "
                  f"{ {k: v for k, v in result.items() if k not in ('task_s', 'digest')} }",
                  flush=True)
    timed(engine, memory, keep=True)
    for name, work in (("memory", memory), ("dask", dask)):
        result = timed(engine, work)
        entry.setdefault("recheck", {})[name] = result
        print(f"  recheck {name:8s} {result['seconds']:8.2f} s", flush=True)
    return entry


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_batch")
    sizes: list[dict] = []
    from distributed import LocalCluster

    started = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    SCHEDULER.append(cluster.scheduler_address)
    cluster_start_s = round(time.perf_counter() - started, 1)
    try:
        demo.load_demo(engine, seed=42)
        for n in SIZES:
            if sizes and "methods" in sizes[-1]:
                previous = sizes[-1]
                spent = previous["load_s"] + sum(
                    sum(m["runs_s"]) for m in previous["methods"].values())
                estimate = spent * n / previous["points"]
                if estimate > BUDGET_S:
                    sizes.append({"points": n, "skipped": (
                        f"estimated {estimate:.0f} s from {previous['points']:,} points "
                        f"(> budget {BUDGET_S:.0f} s)")})
                    print(f"{n:,} points skipped: {sizes[-1]['skipped']}", flush=True)
                    continue
            sizes.append(size_run(engine, n))
            write_result(sizes, cluster_start_s)  # each size as it finishes
    finally:
        cluster.close()
        dbs.drop_database(settings, engine)
    return write_result(sizes, cluster_start_s)


def write_result(sizes: list[dict], cluster_start_s: float) -> dict:
    load = os.getloadavg()
    result = {"sizes": sizes, "rounds": ROUNDS, "local_cluster_start_s": cluster_start_s,
              "grids": "demo seed 42, 63 unified grids, 1 subdistrict (6 communities)",
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_average_at_end": [round(v, 1) for v in load],
                          "note": "2-core machine shared by 8 agents; figures are noisy"}}
    out = ROOT / "bench" / "results" / "batch.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
