"""Bulk assignment engines agree exactly: the SQL path, the in-memory path and Dask, on the
demo and on a generated set (random points, every grid vertex and edge middle)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.batch import engine as batching
from gis.core.errors import InvalidInput
from gis.grids import assign
from tests.batch import digests


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One local Dask cluster (2 processes) for the module, by address."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _three_ways(session: Session, scheduler: str) -> list[tuple[int, dict]]:
    return [
        digests.outcome(session, lambda: assign.assign_events(session, engine="sql")),
        digests.outcome(session, lambda: assign.assign_events(session, engine="memory")),
        digests.outcome(session, lambda: batching.assign_events(
            session, engine="dask", scheduler=scheduler)),
    ]


def test_engines_agree_on_the_demo(demo_session, scheduler):
    demo_session.execute(text(digests.UNASSIGN))
    sql, memory, dask = _three_ways(demo_session, scheduler)
    assert sql[1]["assigned"] > 1000
    assert memory == sql and dask == sql


def test_engines_agree_on_a_generated_set(demo_session, scheduler):
    added = digests.add_generated_events(demo_session)
    sql, memory, dask = _three_ways(demo_session, scheduler)
    assert sql[0] >= added * 0.5  # most new events are written by each engine
    assert 0 < sql[1]["assigned"] < sql[1]["events"]  # some are left outside (> 50 m)
    assert memory == sql and dask == sql


def test_a_second_run_writes_nothing(demo_session, scheduler):
    digests.add_generated_events(demo_session, n=2_000)
    assert assign.assign_events(demo_session, engine="memory") > 0
    assert assign.assign_events(demo_session, engine="memory") == 0
    assert batching.assign_events(demo_session, engine="dask", scheduler=scheduler) == 0
    assert assign.assign_events(demo_session, engine="sql") == 0


def test_a_changed_worker_alone_is_written(demo_session):
    """An event whose grid stays but whose grid's primary worker changed is written again."""
    assign.assign_events(demo_session, engine="memory")
    grid = demo_session.execute(text(
        "SELECT grid_id, count(*) FROM event WHERE grid_id IS NOT NULL GROUP BY grid_id "
        "ORDER BY grid_id LIMIT 1")).one()
    demo_session.execute(text("UPDATE event SET worker_id = NULL WHERE grid_id = :g"),
                         {"g": grid[0]})
    changed = demo_session.execute(text(
        "SELECT count(*) FROM event e WHERE grid_id = :g AND worker_id IS NULL AND EXISTS "
        "(SELECT 1 FROM grid_worker_grid w WHERE w.grid_id = e.grid_id)"), {"g": grid[0]}
    ).scalar()
    assert assign.assign_events(demo_session, engine="memory") == changed


def test_coverage_engines_agree_on_the_demo(demo_session, scheduler):
    demo_session.execute(text(
        "UPDATE building SET grid_id = CASE WHEN id % 3 = 0 THEN NULL ELSE "
        "(SELECT min(id) FROM grid) END"))
    postgis = digests.outcome(demo_session, lambda: batching.assign_buildings(
        demo_session, engine="postgis"), digests.BUILDINGS)
    dask = digests.outcome(demo_session, lambda: batching.assign_buildings(
        demo_session, engine="dask", scheduler=scheduler), digests.BUILDINGS)
    assert postgis[0] > 1000 and postgis[1]["assigned"] > 2000
    assert dask == postgis


def test_an_unknown_engine_is_refused(demo_session):
    with pytest.raises(InvalidInput, match="unknown engine 'spark'"):
        batching.assign_events(demo_session, engine="spark")
