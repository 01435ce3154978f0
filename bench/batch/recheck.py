"""A 1M-only run of bench/batch's functions, for a quieter moment: from-scratch and re-check
(nothing changes) times of the in-memory and SQL paths, printed, not saved (bench/README.md
quotes the run). ``python bench/batch/recheck.py`` from the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.batch import run as b
from gis import demo
from gis.core.settings import Settings
from tests import dbs


def main() -> None:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_recheck")
    try:
        demo.load_demo(engine, seed=42)
        print("loaded in", round(b.load_points(engine, 1_000_000), 1), "s", flush=True)
        for _ in range(2):
            for name, work in (("memory", b.memory), ("sql", b.postgis)):
                print(f"load {os.getloadavg()[0]:.1f} from scratch {name}",
                      b.timed(engine, work)["seconds"], "s", flush=True)
        b.timed(engine, b.memory, keep=True)
        for _ in range(3):
            for name, work in (("memory", b.memory), ("sql", b.postgis)):
                print(f"load {os.getloadavg()[0]:.1f} re-check {name}",
                      b.timed(engine, work)["seconds"], "s", flush=True)
    finally:
        dbs.drop_database(settings, engine)


if __name__ == "__main__":
    main()
