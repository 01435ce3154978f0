"""The demo district: a fictional 街道 (苍梧街道, 320706013000) in 连云港市海州区.

``load_demo`` generates it from a seed (pure functions in this package, geometry built in
EPSG:4549 and stored in EPSG:4490) and writes it with COPY in one committed transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core.errors import Conflict
from gis.demo import load, names
from gis.demo.district import DemoData, generate

__all__ = ["DemoData", "generate", "load_demo", "names", "status"]

STEPS = ("generate", "grids", "people", "network", "events", "assign")


def status(engine: Engine) -> tuple[bool, int]:
    """(demo loaded?, number of rows that are not the demo's) of the database."""
    with Session(engine) as session:
        return load.is_loaded(session), load.other_rows(session)


def load_demo(engine: Engine, *, seed: int = 42, progress: bool = False,
              replace: bool = False) -> dict:
    """Generate the demo district for ``seed`` and write it in ONE committed transaction.

    With ``replace`` the demo rows already there are deleted first (same transaction).
    Returns the row counts per table plus ``seconds`` (generation + load).
    """
    started = time.perf_counter()
    with _Progress(progress) as step, Session(engine) as session, session.begin():
        if replace:
            load.delete_demo(session)
        elif load.is_loaded(session):
            raise Conflict(f"the demo district {names.SUBDISTRICT_CODE} is already loaded "
                           "(replace=True / --replace loads it again)")
        data = generate(seed)
        step("generate")
        counts = load.write(session, data, step)
    return {**counts, "seconds": round(time.perf_counter() - started, 1)}


class _Progress:
    """A rich progress bar over STEPS when asked for, else nothing."""

    def __init__(self, show: bool) -> None:
        self.show = show

    def __enter__(self) -> Callable[[str], None]:
        if not self.show:
            return lambda _name: None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("[bold]演示数据 demo[/] {task.description}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                            transient=False)
        self.bar.start()
        self.task = self.bar.add_task("generate", total=len(STEPS))

        def advance(name: str) -> None:
            k = STEPS.index(name) + 1
            label = f"{STEPS[k]}…" if k < len(STEPS) else "done 完成"
            self.bar.update(self.task, advance=1, description=label)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.show:
            self.bar.stop()
