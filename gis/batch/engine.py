"""``gridmap batch``: assign events and buildings to grids with PostGIS or on Dask.

``engine="postgis"`` runs today's SQL (gis.grids.assign with ``engine="sql"``,
assign_buildings.sql). ``engine="dask"`` reads the rows once, writes grids, events and
buildings to GeoParquet partitioned by subdistrict (gis.batch.partitions), joins each
partition on a Dask worker with dask-geopandas + shapely (gis.batch.tasks), keeps each row's
best candidate here, and writes the changed rows back with COPY in the caller's transaction.
Both engines apply the same rules (gis.grids.picking) and give the same answers
(tests/batch). Geometry is EPSG:4490 throughout.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dask_geopandas
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.batch import partitions, tasks, writeback
from gis.core import frames, sql
from gis.core.errors import ClusterUnavailable, InvalidInput
from gis.grids import assign, assign_bulk

ENGINES = ("postgis", "dask")
Progress = Callable[[int, int], None]
"""Called with (partitions done, partitions in all) as Dask work finishes."""


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise InvalidInput(f"unknown engine '{engine}': one of {', '.join(ENGINES)}")
    return engine


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int = 2) -> Iterator[Any]:
    """A Dask client on ``scheduler`` (tcp://HOST:8786), or on a LocalCluster of ``workers``
    processes (one thread each) when None."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(
            f"no Dask scheduler answers at {scheduler}: start one with `dask scheduler` "
            "and workers with `dask worker tcp://HOST:8786` (README \"Batch on Dask\")") from exc
    with client:
        yield client


def _run(client: Any, collection: Any, progress: Progress | None,
         timings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Compute a dask collection's partitions on the cluster, reporting progress; with
    ``timings``, record each task's compute seconds (``task_s``) and the wall time."""
    from distributed import as_completed, get_task_stream

    started = time.perf_counter()
    with get_task_stream(client) as stream:
        futures = client.compute(collection.to_delayed())
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, len(futures))
        found = pd.concat(client.gather(futures), ignore_index=True)
    if timings is not None:
        timings["join_s"] = time.perf_counter() - started
        timings["task_s"] = sorted(
            sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute")
            for t in stream.data)  # one task per partition: reading fuses with the join
    return found


def _best(candidates: pd.DataFrame, keys: list[str], ascending: list[bool]) -> pd.DataFrame:
    """Each id's first candidate in ``keys`` order (the pick over every grid)."""
    ordered = candidates.sort_values(["id", *keys], ascending=[True, *ascending],
                                     kind="stable")
    return ordered.drop_duplicates("id", keep="first")


def assign_events(session: Session, *, engine: str = "dask", scheduler: str | None = None,
                  workdir: str | None = None, workers: int = 2,
                  progress: Progress | None = None,
                  timings: dict[str, Any] | None = None) -> int:
    """Assign every located event to its grid (rules of gis.grids.assign); returns the
    number of events written. ``timings`` (bench/batch) gets the phases' seconds."""
    if check_engine(engine) == "postgis":
        return assign.assign_events(session, engine="sql")
    clock = _Clock(timings)
    metric = assign.grids_metric_epsg(session)
    events = assign_bulk.read_events(session)
    events = events[np.argsort(events["id"], kind="stable")]
    grids = _grid_frame(frames.frame_from_sql(session, sql.load("batch_grids"), geom_col=None))
    clock.lap("read_s")
    with _workdir(workdir) as where, dask_client(scheduler, workers=workers) as client:
        clock.lap("cluster_start_s")
        boxes = partitions.write_grids(grids, where)
        partitions.write_points(events["id"], events["x"], events["y"], boxes, where)
        clock.lap("export_s")
        parts = dask_geopandas.read_parquet(f"{where}/events")
        found = _run(client, parts.map_partitions(
            tasks.event_candidates, where, metric, assign.MAX_OUTSIDE_M,
            meta=tasks._empty(tasks.EVENT_COLUMNS)), progress, timings)
        clock.lap(None)
    clock.lap("cluster_stop_s")
    best = _best(found, ["rank", "dist", "code"], [True, True, True])
    grid_ids = np.full(len(events), -1, dtype=np.int64)
    at = np.searchsorted(events["id"], best["id"].to_numpy()) if events.size else np.array([])
    grid_ids[at.astype(np.int64)] = best["grid_id"].to_numpy()
    moved = assign_bulk.changed(events, grid_ids)
    clock.lap("reduce_s")
    written = writeback.events(session, events["id"][moved], grid_ids[moved])
    clock.lap("write_s")
    return written


class _Clock:
    """Laps into a timings dict (or nowhere)."""

    def __init__(self, timings: dict[str, Any] | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, name: str | None) -> None:
        now = time.perf_counter()
        if self.timings is not None and name is not None:
            self.timings[name] = round(now - self.last, 3)
        self.last = now


def assign_buildings(session: Session, *, engine: str = "dask", scheduler: str | None = None,
                     workdir: str | None = None, workers: int = 2,
                     progress: Progress | None = None) -> int:
    """Give every building the grid holding most of its area (rules of assign_buildings.sql);
    returns the number of buildings whose grid changed."""
    if check_engine(engine) == "postgis":
        return assign.assign_buildings(session)
    buildings = _grid_frame(frames.frame_from_sql(session, sql.load("batch_buildings"),
                                                  geom_col=None))
    grids = _grid_frame(frames.frame_from_sql(session, sql.load("batch_grids"), geom_col=None))
    with _workdir(workdir) as where, dask_client(scheduler, workers=workers) as client:
        boxes = partitions.write_grids(grids, where)
        partitions.write_buildings(buildings, boxes, where)
        parts = dask_geopandas.read_parquet(f"{where}/buildings")
        found = _run(client, parts.map_partitions(
            tasks.building_candidates, where, meta=tasks._empty(tasks.BUILDING_COLUMNS)),
            progress)
    best = _best(found, ["area", "code"], [False, True]).set_index("id")["grid_id"]
    picked = best.reindex(buildings["id"]).fillna(-1).astype(np.int64).to_numpy()
    moved = picked != buildings["grid_id"].to_numpy()
    return writeback.buildings(session, buildings["id"].to_numpy()[moved], picked[moved])


def _grid_frame(frame: pd.DataFrame) -> Any:
    """A frame with WKB column ``wkb`` as a GeoDataFrame (EPSG:4490)."""
    import geopandas as gpd

    geoms = shapely.from_wkb([bytes(w) for w in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4490)


@contextmanager
def _workdir(workdir: str | None) -> Iterator[str]:
    """``workdir`` as given (shared by every worker), or a temporary local directory."""
    if workdir is not None:
        yield workdir.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="gridmap-batch-") as where:
        yield where


def count_changes(session: Session) -> dict[str, int]:
    """Events and buildings with and without a grid (for the command's summary)."""
    row = session.execute(text(
        "SELECT (SELECT count(*) FROM event WHERE geom IS NOT NULL AND grid_id IS NOT NULL) "
        "AS events_in, (SELECT count(*) FROM building WHERE grid_id IS NOT NULL) AS buildings_in"
    )).mappings().one()
    return {k: int(v) for k, v in row.items()}
