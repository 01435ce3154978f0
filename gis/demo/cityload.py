"""Writing the generated city into the database: subdistrict by subdistrict with COPY, in one
committed transaction, then the production assignment (gis.grids.assign) over the whole city.

At most two subdistricts' frames are in memory at a time (one written while a worker process
generates the next; about 40 MB each at city settings). The big tables are written with their
secondary indexes and foreign keys dropped and built once at the end (gis.core.bulkwrite):
row-by-row index upkeep made the first full load about three times slower.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core import bulkwrite
from gis.core.errors import Conflict
from gis.core.frames import copy_frame
from gis.demo import city, load
from gis.demo.district import DemoData
from gis.grids import assign

BULK_TABLES = ("building", "household", "resident", "event", "event_log")

ANY_DATA = ("SELECT EXISTS (SELECT 1 FROM region) OR EXISTS (SELECT 1 FROM building) "
            "OR EXISTS (SELECT 1 FROM grid) OR EXISTS (SELECT 1 FROM event)")

SUMMARY = """
SELECT (SELECT count(*) FROM region WHERE level = 'district') AS districts,
       (SELECT count(*) FROM region WHERE level = 'subdistrict') AS subdistricts,
       (SELECT count(*) FROM region WHERE level = 'community') AS communities,
       (SELECT count(*) FROM grid WHERE valid_to IS NULL AND theme = 'unified') AS unified_grids,
       (SELECT count(*) FROM grid WHERE valid_to IS NULL) AS grids,
       (SELECT count(*) FROM building) AS buildings,
       (SELECT count(*) FROM building WHERE grid_id IS NULL) AS buildings_without_grid,
       (SELECT count(*) FROM household) AS households,
       (SELECT count(*) FROM resident) AS residents,
       (SELECT count(*) FROM event) AS events,
       (SELECT count(*) FROM event WHERE grid_id IS NOT NULL) AS events_in_grids,
       (SELECT count(*) FROM road_edge) AS road_edges,
       (SELECT count(*) FROM facility) AS facilities,
       (SELECT count(*) FROM grid_worker) AS workers
"""


def load_city(engine: Engine, *, seed: int = 42, subdistricts: int = city.SUBDISTRICTS,
              events: int = city.EVENTS, progress: bool = False) -> dict:
    """Generate and write the city for ``seed`` into an empty database (one transaction).

    Returns the generated row counts per table plus ``seconds`` (generation + load +
    assignment). Raises Conflict when the database already holds regions, grids, buildings
    or events.
    """
    started = time.perf_counter()
    tiles = city.plan(subdistricts, seed)
    per_tile = [int(n) for n in city.events_per_tile(events, subdistricts)]
    counts: Counter[str] = Counter()
    with _bar(progress, len(tiles) + 2) as advance, Session(engine) as session, \
            session.begin():
        if session.execute(text(ANY_DATA)).scalar_one():
            raise Conflict("the city loads into an empty database only (this one holds "
                           "regions, grids, buildings or events; point GRIDMAP_DATABASE_URL "
                           "at a new database)")
        districts = city.districts(tiles)
        copy_frame(session, districts.rename(columns={"geometry": "geom"}), "region")
        counts["regions"] += len(districts)
        with ExitStack() as rebuilt:
            for table in BULK_TABLES:
                rebuilt.enter_context(bulkwrite.indexes_rebuilt(session, table))
            for tile, data in zip(tiles, _generated(tiles, per_tile, seed), strict=True):
                load.write_tables(session, data)
                counts.update(data.counts())
                advance(f"{tile.district_name}{tile.name} ({tile.code})")
        load.analyze(session)
        counts["buildings_assigned"] = assign.assign_buildings(session)
        advance("assign buildings 楼栋入格")
        counts["events_assigned"] = assign.assign_events(session)
        load.analyze(session, ("building", "event"))
        advance("assign events 事件入格")
    return {**counts, "seconds": round(time.perf_counter() - started, 1)}


def _generated(tiles: list[city.Tile], counts: list[int], seed: int) -> Iterator[DemoData]:
    """Each tile's data in order, the next one generated in a worker process meanwhile."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        ahead: Future[DemoData] | None = None
        for k, tile in enumerate(tiles):  # one subdistrict at a time
            current = ahead or pool.submit(city.subdistrict, tile, seed=seed, events=counts[k])
            if k + 1 < len(tiles):
                ahead = pool.submit(city.subdistrict, tiles[k + 1], seed=seed,
                                    events=counts[k + 1])
            yield current.result()


def summary(session: Session) -> dict:
    """Headline counts of the city in the database."""
    return dict(session.execute(text(SUMMARY)).mappings().one())


@contextmanager
def _bar(show: bool, total: int) -> Iterator[Callable[[str], None]]:
    """A rich progress bar of ``total`` steps when asked for, else nothing."""
    if not show:
        yield lambda _label: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("[bold]城市数据 city[/] {task.description}"), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with bar:
        task = bar.add_task("generate + COPY…", total=total)
        yield lambda label: bar.update(task, advance=1, description=label)
