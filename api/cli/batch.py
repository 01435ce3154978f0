"""``gridmap batch assign|coverage``: bulk grid assignment with PostGIS or on a Dask cluster."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from api.cli.common import console, session
from gis.batch import engine as batching

app = typer.Typer(help="Batch work: events and buildings to grids, with PostGIS or on Dask.",
                  no_args_is_help=True)


class Engine(StrEnum):
    postgis = "postgis"
    dask = "dask"


EngineOpt = Annotated[Engine, typer.Option(
    help="postgis: one SQL statement in the database; dask: GeoParquet partitions per "
         "subdistrict joined on Dask workers")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="a Dask scheduler, tcp://HOST:8786 (default: a local cluster of --workers processes)")]
WorkdirOpt = Annotated[str | None, typer.Option(
    help="where the GeoParquet partitions go; every worker must read it (a shared path or an "
         "fsspec URL; default: a temporary local directory)")]
WorkersOpt = Annotated[int, typer.Option(min=1, help="workers of the local cluster")]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(f"[bold]{label}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield step


def _report(title: str, what: str, rows: int, seconds: float, engine: Engine) -> None:
    table = Table(title=title)
    for column in ("what", "engine", "rows", "seconds"):
        table.add_column(column, justify="left" if column in ("what", "engine") else "right")
    table.add_row(what, engine.value, f"{rows:,}", f"{seconds:.2f}")
    console.print(table)


@app.command("assign")
def assign(engine: EngineOpt = Engine.postgis, scheduler: SchedulerOpt = None,
           workdir: WorkdirOpt = None, workers: WorkersOpt = 2) -> None:
    """Re-assign every located event to its grid (covering grid, lowest code on shared
    edges, 50 m rule), with its version, community, subdistrict and worker."""
    started = time.perf_counter()
    with session() as s, _progress("事件归属网格 partitions") as step:
        written = batching.assign_events(s, engine=engine.value, scheduler=scheduler,
                                         workdir=workdir, workers=workers, progress=step)
    _report("gridmap batch assign", "events re-assigned 事件调整", written,
            time.perf_counter() - started, engine)


@app.command("coverage")
def coverage(engine: EngineOpt = Engine.postgis, scheduler: SchedulerOpt = None,
             workdir: WorkdirOpt = None, workers: WorkersOpt = 2) -> None:
    """Give every building the grid covering most of its area (residents and households
    follow)."""
    started = time.perf_counter()
    with session() as s, _progress("建筑归属网格 partitions") as step:
        written = batching.assign_buildings(s, engine=engine.value, scheduler=scheduler,
                                            workdir=workdir, workers=workers, progress=step)
    _report("gridmap batch coverage", "buildings changed 建筑调整", written,
            time.perf_counter() - started, engine)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="batch")
