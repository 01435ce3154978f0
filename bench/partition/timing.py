"""Time the request paths of issue 14.2 on the database in use (interleaved rounds).

``python bench/partition/timing.py [ROUNDS] [URL ...]`` (each URL a database; none: the one
in use) prints, per query, the min-max of ROUNDS runs
in ms: KPIs per grid (the last 30 days, and October 2026, a month with data in both sets),
the grid load, the default grid page (100 grids), a grid's event list (100 newest) and its
open events. Each runs in its own session through the gis/ functions the API handlers call,
on the server's engine (JIT off).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.db import make_engine
from gis.core.settings import get_settings
from gis.events import kpis, queries
from gis.grids import grid_load, registry


def cases(grid: str) -> dict[str, Callable[[Session], Any]]:
    return {
        "kpis level=grid": lambda s: kpis.list_kpis(s, level="grid"),
        "kpis grid 2026-10": lambda s: kpis.list_kpis(s, level="grid", start=date(2026, 10, 1),
                                                      end=date(2026, 10, 31)),
        "grids/load": grid_load.list_grid_load,
        "grids (page 100)": lambda s: registry.list_grids(s, limit=100),
        "events of a grid": lambda s: queries.list_events(s, grid_code=grid, limit=100),
        "open events of a grid": lambda s: queries.list_events(s, grid_code=grid,
                                                               open_only=True, limit=100),
    }


def main(rounds: int, urls: list[str]) -> None:
    """Round by round, every case on every database (interleaved: the load moves)."""
    settings = get_settings()
    engines = [make_engine(settings.model_copy(update={"database_url": url}) if url
                           else settings) for url in urls]  # the server's engine: JIT off
    runs: list[dict[str, Callable[[Session], Any]]] = []
    times: list[dict[str, list[float]]] = []
    for engine in engines:
        with Session(engine) as s:
            grid = s.execute(text(
                "SELECT g.code FROM grid g JOIN event e ON e.grid_id = g.id "
                "WHERE g.theme = 'unified' ORDER BY e.id DESC LIMIT 1")).scalar()
            events = s.execute(text("SELECT count(*) FROM event")).scalar()
        runs.append(cases(str(grid)))
        times.append({name: [] for name in runs[-1]})
        print(f"{engine.url.database}: {events} events, grid {grid}")
    for _ in range(rounds):
        for engine, run, took in zip(engines, runs, times, strict=True):
            for name, case in run.items():
                with Session(engine) as s:
                    started = time.perf_counter()
                    case(s)
                    took[name].append((time.perf_counter() - started) * 1000)
                    s.rollback()
    for engine, took in zip(engines, times, strict=True):
        print(f"{engine.url.database}, {rounds} rounds")
        for name, ms in took.items():
            median = sorted(ms)[len(ms) // 2]
            print(f"  {name:24s} {min(ms):8.1f} - {max(ms):8.1f} ms  (median {median:.1f})")
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, sys.argv[2:] or [""])
