"""Time the request paths of issue 14.2 on the database in use (interleaved rounds).

``python bench/partition/timing.py [ROUNDS]`` prints, per query, the min-max of ROUNDS runs
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


def main(rounds: int) -> None:
    engine = make_engine(get_settings())  # the server's engine: JIT off
    with Session(engine) as s:
        grid = s.execute(text("SELECT g.code FROM grid g JOIN event e ON e.grid_id = g.id "
                              "WHERE g.theme = 'unified' ORDER BY e.id DESC LIMIT 1")).scalar()
        events = s.execute(text("SELECT count(*) FROM event")).scalar()
    runs = cases(str(grid))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            with Session(engine) as s:
                started = time.perf_counter()
                run(s)
                times[name].append((time.perf_counter() - started) * 1000)
                s.rollback()
    print(f"{events} events, grid {grid}, {rounds} rounds")
    for name, ms in times.items():
        median = sorted(ms)[len(ms) // 2]
        print(f"{name:24s} {min(ms):8.1f} - {max(ms):8.1f} ms  (median {median:.1f})")
    engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
