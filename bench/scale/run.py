"""Benchmark: request costs at demo size and at city size in one run (issue 14.2).

Two databases: the demo district (seed 42, a throw-away database) and the generated city
(``gridmap demo --scale city``; loaded into a throw-away database, or an already-loaded one
given with ``--city-db URL``, which is then only read, apart from one key and draft plans
that are rejected). One ``gridmap serve`` subprocess per database, both up at once; real
HTTP over loopback (httpx, keep-alive, gzip), an admin key for everything except coverage,
which uses an admin key limited to one subdistrict. Rounds interleave demo and city (each
request of a round against the demo, then against the city), after one untimed warm-up
round, so the machine's other load hits both sides alike.

Rows: locate (p50/p99 of ``--locate`` points a round, points on buildings of one
subdistrict), a bbox grid list around one community, a building tile at z16 and a grid tile
at z12 over that subdistrict, grid KPIs for a month (whole jurisdiction and one
subdistrict), ``/map`` (time and bytes on the wire), QA of one community, coverage of one
subdistrict, a balance plan of one community. Growth = city median / demo median; target:
interactive rows within 1.5× the demo time and under 300 ms at city size; analysis rows
(QA, coverage, plan) within 1.5×. Writes bench/results/scale.json.

``python -m bench scale [--city-db URL] [--demo-db URL] [--rounds N] [--locate N]
[--subdistricts N] [--events N] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load.run import SECRET, ours_command, server  # noqa: E402  (same server)
from gis import demo  # noqa: E402
from gis.access import keys  # noqa: E402
from gis.core import schema  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.demo import city, cityload  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

TARGET_GROWTH = 1.5
TARGET_MS = 300.0
MONTH = ("2026-10-01", "2026-10-31")  # in both data sets' event periods
INTERACTIVE = ("locate_p50", "locate_p99", "grids_bbox", "tile_buildings_z16",
               "tile_grids_z12", "kpis_grid_month", "kpis_grid_month_subdistrict", "map")
ANALYSIS = ("qa_community", "coverage_subdistrict", "plan_balance_community")

PICK = """
SELECT r.code AS subdistrict,
       (SELECT min(c.code) FROM region c WHERE c.parent_code = r.code) AS community
FROM region r WHERE r.level = 'subdistrict' ORDER BY r.code LIMIT 1
"""
POINTS = """
SELECT ST_X(p), ST_Y(p) FROM (
  SELECT ST_PointOnSurface(b.geom) AS p FROM building b
  WHERE b.community_code LIKE :prefix || '%' ORDER BY b.code) s
"""
EXTENT = "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM " \
         "(SELECT ST_Extent(geom) AS e FROM region WHERE code = :code) s"


@dataclass
class Target:
    """What one side (demo or city) is asked, and the keys that ask it."""

    label: str
    subdistrict: str
    community: str
    points: np.ndarray
    community_bbox: tuple[float, ...]
    subdistrict_centre: tuple[float, float]
    admin: str = ""
    scoped: str = ""
    base: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    bytes: list[int] = field(default_factory=list)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Web Mercator tile (x, y) holding lon/lat at zoom ``z``."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def target_of(engine: Engine, label: str) -> Target:
    """Keys and the places asked about (the first subdistrict and its first community)."""
    with Session(engine) as session, session.begin():
        pick = session.execute(text(PICK)).mappings().one()
        points = np.array(session.execute(text(POINTS), {"prefix": pick["subdistrict"][:9]})
                          .all(), dtype=float)
        bbox = tuple(session.execute(text(EXTENT), {"code": pick["community"]}).one())
        x0, y0, x1, y1 = session.execute(text(EXTENT), {"code": pick["subdistrict"]}).one()
        target = Target(label, pick["subdistrict"], pick["community"], points, bbox,
                        ((x0 + x1) / 2, (y0 + y1) / 2))
        target.admin = keys.create_key(session, role="admin", label="bench scale",
                                       secret=SECRET.encode())
        target.scoped = keys.create_key(session, role="admin", label="bench scale coverage",
                                        region_code=pick["subdistrict"], secret=SECRET.encode())
    return target


def timed(client: httpx.Client, t: Target, name: str, url: str, *, key: str | None = None,
          body: dict | None = None) -> httpx.Response | None:
    """One request, its time (ms) appended to ``t.samples[name]``; None when it failed."""
    headers = {"Authorization": f"Bearer {key or t.admin}"}
    started = time.perf_counter()
    if body is None:
        answer = client.get(t.base + url, headers=headers)
    else:
        answer = client.post(t.base + url, headers=headers, json=body)
    ms = (time.perf_counter() - started) * 1000
    if answer.status_code >= 400:
        t.samples.setdefault(f"{name}_failed", []).append(float(answer.status_code))
        print(f"  {t.label} {name}: {answer.status_code} {answer.text[:160]}", flush=True)
        return None
    t.samples.setdefault(name, []).append(ms)
    return answer


def locate_round(client: httpx.Client, t: Target, k: int, n: int) -> None:
    """``n`` locate requests at the next points of ``t`` (round ``k``)."""
    for i in range(n):
        lon, lat = t.points[(k * n + i) * 7919 % len(t.points)]
        timed(client, t, "locate", f"/api/v1/locate?lon={lon:.6f}&lat={lat:.6f}")


def requests_round(client: httpx.Client, t: Target) -> None:
    """Every other row once."""
    x0, y0, x1, y1 = t.community_bbox
    timed(client, t, "grids_bbox", f"/api/v1/grids?bbox={x0:.6f},{y0:.6f},{x1:.6f},{y1:.6f}")
    bx, by = tile_of((x0 + x1) / 2, (y0 + y1) / 2, 16)
    timed(client, t, "tile_buildings_z16", f"/tiles/buildings/16/{bx}/{by}.pbf")
    gx, gy = tile_of(*t.subdistrict_centre, 12)
    timed(client, t, "tile_grids_z12", f"/tiles/grids/12/{gx}/{gy}.pbf")
    month = f"from={MONTH[0]}&to={MONTH[1]}"
    timed(client, t, "kpis_grid_month", f"/api/v1/kpis?level=grid&{month}")
    timed(client, t, "kpis_grid_month_subdistrict",
          f"/api/v1/kpis?level=grid&{month}&region={t.subdistrict}")
    page = timed(client, t, "map", "/map")
    if page is not None:
        t.bytes.append(page.num_bytes_downloaded)
    timed(client, t, "qa_community", f"/api/v1/qa?scope={t.community}")
    timed(client, t, "coverage_subdistrict", "/api/v1/coverage?type=party_center&level=community",
          key=t.scoped)
    plan = timed(client, t, "plan_balance_community", "/api/v1/plans",
                 body={"kind": "balance", "scope": t.community})
    if plan is not None:  # a draft: rejected again, untimed, so reruns find the same data
        client.post(f"{t.base}/api/v1/plans/{plan.json()['id']}/reject",
                    headers={"Authorization": f"Bearer {t.admin}"})


def measure(sides: list[Target], rounds: int, n_locate: int) -> None:
    """A warm-up round, then ``rounds`` rounds, demo and city taking turns per round (which
    goes first alternates, so neither side always follows the other's heaviest request)."""
    with httpx.Client(timeout=300, headers={"Accept-Encoding": "gzip"}) as client:
        for k in range(rounds + 1):
            for t in (sides if k % 2 else sides[::-1]):
                locate_round(client, t, k, n_locate)
                requests_round(client, t)
            if k == 0:  # warm-up: caches, pools, first imports
                for t in sides:
                    t.samples.clear()
                    t.bytes.clear()
            print(f"round {k}/{rounds} done", flush=True)


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median_ms": round(statistics.median(values), 1),
            "min_ms": round(min(values), 1), "max_ms": round(max(values), 1)}


def value(t: Target, name: str) -> tuple[float | None, dict]:
    """(figure, detail) of row ``name`` on one side: ms, or bytes for map_bytes."""
    if name.startswith("locate_"):
        ms = t.samples.get("locate", [])
        if not ms:
            return None, {"n": 0}
        q = 50 if name == "locate_p50" else 99
        return round(float(np.percentile(ms, q)), 1), {"n": len(ms)}
    if name == "map_bytes":
        return (float(statistics.median(t.bytes)) if t.bytes else None), {"n": len(t.bytes)}
    detail = stats(t.samples.get(name, []))
    failed = t.samples.get(f"{name}_failed")
    if failed:
        detail["failed_statuses"] = sorted({int(s) for s in failed})
    return detail.get("median_ms"), detail


def table(demo_side: Target, city_side: Target) -> dict:
    """Every row: demo and city figure, growth = city / demo, and whether it meets its target."""
    out = {}
    for name in (*INTERACTIVE, "map_bytes", *ANALYSIS):
        d, d_detail = value(demo_side, name)
        c, c_detail = value(city_side, name)
        growth = round(c / d, 2) if c is not None and d else None
        interactive = name in INTERACTIVE
        meets = growth is not None and growth <= TARGET_GROWTH and (
            not interactive or (c is not None and c < TARGET_MS))
        out[name] = {"demo": d, "city": c, "growth": growth,
                     "target": (f"growth <= {TARGET_GROWTH} and city < {TARGET_MS:.0f} ms"
                                if interactive else f"growth <= {TARGET_GROWTH}"),
                     "meets": meets, "demo_detail": d_detail, "city_detail": c_detail}
    return out


@contextmanager
def database(settings: Settings, url: str | None, label: str, load: str,
             subdistricts: int, events: int) -> Iterator[tuple[Engine, dict]]:
    """(engine, how it was made): the database at ``url`` (migrated to head, reused), or a
    throw-away one loaded with the demo or the city and dropped afterwards."""
    if url:
        engine = create_engine(url, pool_pre_ping=True)
        schema.upgrade(engine)
        try:
            yield engine, {"reused": engine.url.render_as_string(hide_password=True)}
        finally:
            engine.dispose()
        return
    engine = dbs.migrated_database(settings, label)
    try:
        print(f"loading the {load} into {engine.url.database}…", flush=True)
        if load == "city":
            made = cityload.load_city(engine, subdistricts=subdistricts, events=events,
                                      progress=True)
        else:
            made = demo.load_demo(engine, seed=42)
        yield engine, {"loaded_in_s": made["seconds"], "generated": made}
    finally:
        dbs.drop_database(settings, engine)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n")[0])
    p.add_argument("--city-db", default=os.environ.get("BENCH_SCALE_CITY_DB"),
                   help="SQLAlchemy URL of a database holding the city already (reused)")
    p.add_argument("--demo-db", default=os.environ.get("BENCH_SCALE_DEMO_DB"),
                   help="SQLAlchemy URL of a database holding the demo already (reused)")
    p.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_SCALE_ROUNDS", "5")))
    p.add_argument("--locate", type=int, default=40, help="locate requests per round and side")
    p.add_argument("--subdistricts", type=int, default=city.SUBDISTRICTS,
                   help="city size when loading it here (1-120)")
    p.add_argument("--events", type=int, default=city.EVENTS)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse(sys.argv[1:] if argv is None else argv)
    settings = Settings()
    log = Path(tempfile.mkdtemp(prefix="bench-scale-")) / "servers.log"
    load_before = os.getloadavg()
    with ExitStack() as stack:
        made = {}
        sides = []
        for label, url in (("demo", args.demo_db), ("city", args.city_db)):
            engine, made[label] = stack.enter_context(database(
                settings, url, f"bench_scale_{label}", label, args.subdistricts, args.events))
            with Session(engine) as session:
                made[label]["counts"] = cityload.summary(session)
            side = target_of(engine, label)
            side.base = stack.enter_context(server(ours_command(), engine, log))
            sides.append(side)
        print(f"servers up ({log}); {made}", flush=True)
        measure(sides, args.rounds, args.locate)
    rows = table(*sides)
    report = {
        "what": "request costs at demo size and city size in one run, real HTTP to "
                "`gridmap serve` (one per database), interleaved rounds, medians",
        "rounds": args.rounds, "locate_per_round": args.locate, "month": MONTH,
        "places": {s.label: {"subdistrict": s.subdistrict, "community": s.community}
                   for s in sides},
        "databases": made, "rows": rows,
        "misses": [name for name, row in rows.items() if not row["meets"]],
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "loadavg_before": [round(v, 2) for v in load_before],
                    "loadavg_after": [round(v, 2) for v in os.getloadavg()]},
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n",
                        encoding="utf-8")
    for name, row in rows.items():
        print(f"{name:32} demo {row['demo']!s:>10} city {row['city']!s:>10} "
              f"growth {row['growth']!s:>6} {'ok' if row['meets'] else 'MISS'}", flush=True)
    print(f"written {args.out}", flush=True)
    return report


if __name__ == "__main__":
    main()
