"""Migrations: upgrade, downgrade and upgrade again; constraints and indexes are there."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.core import schema, sql
from gis.core.settings import Settings
from gis.models import Base
from tests import dbs


def test_upgrade_downgrade_upgrade(base_settings: Settings) -> None:
    eng = dbs.create_database(base_settings, "migrate")
    try:
        schema.upgrade(eng)
        assert schema.current(eng) is not None
        assert set(Base.metadata.tables) <= set(inspect(eng).get_table_names())
        schema.downgrade(eng, "base")
        assert schema.current(eng) is None
        assert not set(Base.metadata.tables) & set(inspect(eng).get_table_names())
        schema.upgrade(eng)
        assert set(Base.metadata.tables) <= set(inspect(eng).get_table_names())
    finally:
        dbs.drop_database(base_settings, eng)


def test_every_geometry_column_has_a_gist_index(session: Session) -> None:
    missing = session.execute(text("""
        SELECT c.f_table_name || '.' || c.f_geometry_column
        FROM geometry_columns c
        WHERE c.f_table_schema = 'public' AND NOT EXISTS (
            SELECT 1 FROM pg_indexes i
            WHERE i.tablename = c.f_table_name AND i.indexdef ILIKE '%gist%'
              AND i.indexdef LIKE '%(' || c.f_geometry_column || ')%')
    """)).scalars().all()
    assert missing == []


def test_invalid_geometry_is_refused_on_write(session: Session) -> None:
    bowtie = "SRID=4490;MULTIPOLYGON(((119 34,119.01 34.01,119.01 34,119 34.01,119 34)))"
    with pytest.raises(IntegrityError, match="geom_valid"):
        session.execute(text(
            "INSERT INTO region (code, name, level, geom) "
            "VALUES ('320700000000', 'x', 'district', ST_GeomFromEWKT(:g))"), {"g": bowtie})
        session.flush()


def test_extensions_are_installed(session: Session) -> None:
    names = set(session.execute(text("SELECT extname FROM pg_extension")).scalars())
    assert {"postgis", "pgrouting", "pg_trgm"} <= names


@pytest.mark.parametrize("name", ["event_list", "kpis", "open311_requests"])
def test_region_scoped_event_queries_can_use_the_unit_prefix_index(demo_session: Session,
                                                                   name: str) -> None:
    """Each statement's jurisdiction filter is the expression migration 0004 indexes: on the
    demo's 20k events (real statistics) with sequential scans priced out, a community-scoped
    run reads ix_event_unit_prefix (a change to either side leaves no way to that index)."""
    session = demo_session
    session.execute(text("SET LOCAL enable_seqscan = off"))
    # the date-range and state indexes would serve instead; dropped in this rolled-back test
    session.execute(text("DROP INDEX ix_event_reported_at, ix_event_status"))
    statement = sql.load(name)
    params = dict.fromkeys(re.findall(r"(?<![:\w]):([a-z_]+)", statement))
    params["scope"] = "320706013001"
    if name == "kpis":  # a range covering every event, so only the scope narrows it
        params.update(level="grid", start=datetime(2000, 1, 1, tzinfo=UTC),
                      end=datetime(2100, 1, 1, tzinfo=UTC), now=datetime.now(UTC),
                      satisfied_min=4)
    plan = "\n".join(session.execute(text("EXPLAIN " + statement), params).scalars())
    # event is partitioned by month (migration 0015): each month's copy of the index counts
    names = set(session.scalars(text(
        "SELECT CAST(relid AS text) FROM pg_partition_tree('ix_event_unit_prefix')")))
    assert names & set(re.findall(r"\w+", plan)), plan


def test_region_scoped_building_list_can_use_the_community_prefix_index(
        demo_session: Session) -> None:
    """gm_in_region(b.community_code, :scope) is what migration 0006 indexes: on the demo's
    buildings with sequential scans priced out (and the code index, which only orders, dropped
    in this rolled-back test), a community-scoped page reads ix_building_community_prefix."""
    session = demo_session
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("ALTER TABLE building DROP CONSTRAINT uq_building_code"))
    statement = sql.load("building_list")
    params = dict.fromkeys(re.findall(r"(?<![:\w]):([a-z_]+)", statement))
    params["scope"] = "320706013001"
    plan = "\n".join(session.execute(text("EXPLAIN " + statement), params).scalars())
    assert "ix_building_community_prefix" in plan, plan
