"""Bulk writes with indexes and foreign keys dropped and built again, on real PostGIS."""

from __future__ import annotations

import pytest
from shapely import Point
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.core import bulkwrite
from tests.builders import make_event

SHAPE = """
SELECT 'index' AS kind, indexname AS name, indexdef AS definition FROM pg_indexes
WHERE schemaname = 'public' AND tablename = :table
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid = CAST(:table AS regclass)
ORDER BY 1, 2
"""


def shape(session: Session, table: str) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in session.execute(text(SHAPE), {"table": table}).all()]


def test_indexes_and_keys_come_back_exactly(session):
    before = shape(session, "event")
    assert len(before) >= 10  # eight indexes, two foreign keys, checks, primary key
    with bulkwrite.indexes_rebuilt(session, "event") as rebuilt:
        assert rebuilt
        during = shape(session, "event")
        names = {name for _, name, _ in during}
        assert "pk_event" in names  # the primary key stays
        assert not names & {"idx_event_geom", "ix_event_grid_id", "uq_event_code",
                            "fk_event_grid_id_grid", "fk_event_worker_id_grid_worker"}
    assert shape(session, "event") == before
    partition = session.scalar(text("SELECT CAST(tableoid::regclass AS text) FROM event "
                                    "LIMIT 1")) or "event_default"
    # every month partition has its indexes again, not only the partitioned parent
    assert {n for _, n, _ in shape(session, partition)} >= {
        f"{partition}_geom_idx", f"{partition}_grid_id_reported_at_idx"}


def test_a_violated_key_raises_when_it_is_added_back(session):
    make_event(session, geom=Point(119.2, 34.6))
    with (pytest.raises(IntegrityError, match="fk_event_grid_id_grid"),
          bulkwrite.indexes_rebuilt(session, "event")):
        session.execute(text("UPDATE event SET grid_id = 987654"))
    session.rollback()
    assert "fk_event_grid_id_grid" in {name for _, name, _ in shape(session, "event")}


def test_a_busy_table_is_left_alone(session, engine: Engine):
    before = shape(session, "event")
    with engine.connect() as other:  # another transaction reading the table holds a lock
        other.execute(text("LOCK TABLE event IN ACCESS SHARE MODE"))
        with bulkwrite.indexes_rebuilt(session, "event", lock_timeout="200ms") as rebuilt:
            assert not rebuilt
            assert shape(session, "event") == before
        other.rollback()
    assert session.scalar(text("SELECT current_setting('lock_timeout')")) == "0"


def test_a_partitioned_table_gets_its_indexes_back_on_every_partition(session):
    """The event table may be partitioned by month (issue 14.2): the parent's indexes are
    built again on the parent, so every partition has its own again."""
    session.execute(text(
        "CREATE TABLE bulk_parts (id int, at date NOT NULL, grid_id int REFERENCES grid(id), "
        "v int) PARTITION BY RANGE (at); "
        "CREATE TABLE bulk_parts_1 PARTITION OF bulk_parts "
        "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01'); "
        "CREATE TABLE bulk_parts_2 PARTITION OF bulk_parts "
        "FOR VALUES FROM ('2026-02-01') TO ('2026-03-01'); "
        "CREATE INDEX ix_bulk_parts_v ON bulk_parts (v); "
        "INSERT INTO bulk_parts VALUES (1, '2026-01-05', NULL, 1), (2, '2026-02-05', NULL, 2)"))
    before = [shape(session, t) for t in ("bulk_parts", "bulk_parts_1", "bulk_parts_2")]
    with bulkwrite.indexes_rebuilt(session, "bulk_parts") as rebuilt:
        assert rebuilt
        assert not any(name.startswith("ix_") for _, name, _ in shape(session, "bulk_parts_1"))
        session.execute(text("UPDATE bulk_parts SET v = v + 10"))
    assert [shape(session, t) for t in ("bulk_parts", "bulk_parts_1", "bulk_parts_2")] == before
    assert session.execute(text("SELECT sum(v) FROM bulk_parts WHERE v > 10")).scalar() == 23
