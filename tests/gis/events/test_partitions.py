"""Events partitioned by month (migration 0015): conversion, new months, pruning, keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gis.core import schema, sql
from gis.core.settings import Settings
from gis.events import partitions
from tests import dbs
from tests.builders import make_event

INSERT = """
INSERT INTO event (code, category, channel, status, address, reported_at)
SELECT 'P' || n, 'environment', 'patrol', 'reported', '某路' || n, CAST(:at AS timestamptz)
       + n * interval '9 days'
FROM generate_series(1, :n) n
"""
COUNTS = """
SELECT (SELECT count(*) FROM event), (SELECT count(DISTINCT code) FROM event),
       (SELECT count(*) FROM event_log), (SELECT sum(id) FROM event),
       (SELECT count(*) FROM event WHERE duplicate_of IS NOT NULL)
"""


def _fill(engine: Engine) -> None:
    """Events over 14 months, one in 2003, each with a log row; one duplicate."""
    with engine.begin() as conn:
        conn.execute(text(INSERT), {"at": "2025-10-20T00:00:00Z", "n": 45})
        conn.execute(text(INSERT.replace("'P' ||", "'Q' ||")),
                     {"at": "2003-01-01T00:00:00Z", "n": 1})
        conn.execute(text("INSERT INTO event_log (event_id, to_status, actor) "
                          "SELECT id, 'reported', 'test' FROM event"))
        conn.execute(text("UPDATE event SET duplicate_of = (SELECT min(id) FROM event) "
                          "WHERE code = 'P7'"))


def _partitions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT CAST(tableoid::regclass AS text), count(*) "
                                 "FROM event GROUP BY 1")).all()
    return {name: n for name, n in rows}


def test_upgrade_and_downgrade_keep_every_row(base_settings: Settings) -> None:
    eng = dbs.create_database(base_settings, "partitions")
    try:
        schema.upgrade(eng, "0014")
        _fill(eng)
        with eng.connect() as conn:
            before = conn.execute(text(COUNTS)).one()
        schema.upgrade(eng)
        with eng.connect() as conn:
            assert conn.execute(text(COUNTS)).one() == before
            assert conn.scalar(text("SELECT count(*) FROM event_registry")) == before[0]
        held = _partitions(eng)
        assert held["event_2025_11"] == 3  # every month with rows got its partition,
        assert held["event_default"] == 1  # but 2003 (over 20 years ago) stays in the default
        schema.downgrade(eng, "0014")
        with eng.connect() as conn:
            assert conn.execute(text(COUNTS)).one() == before
            assert conn.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'event'")) == "r"
        schema.upgrade(eng)
        assert sum(_partitions(eng).values()) == before[0]
    finally:
        dbs.drop_database(base_settings, eng)


def _where(session: Session, code: str) -> str:
    return str(session.scalar(text("SELECT CAST(tableoid::regclass AS text) FROM event "
                                   "WHERE code = :c"), {"c": code}))


def test_a_month_without_partition_lands_in_default_until_maintenance(session: Session):
    later = datetime.now(UTC).replace(day=15) + timedelta(days=31 * 8)
    name = f"event_{later:%Y_%m}"
    event = make_event(session)
    session.execute(text("UPDATE event SET reported_at = :at WHERE id = :id"),
                    {"at": later, "id": event.id})
    assert _where(session, event.code) == "event_default"
    assert partitions.maintain(session) >= 1
    assert _where(session, event.code) == name
    assert partitions.maintain(session) == 0  # idempotent
    assert session.scalar(text("SELECT code FROM event_registry WHERE id = :id"),
                          {"id": event.id}) == event.code


def test_a_bulk_load_makes_the_months_it_writes(session: Session) -> None:
    # 2011-03-01 05:00 in Beijing is 2011-02-28 21:00 UTC: months are UTC months
    made = partitions.ensure_months(session, ["2011-03-01T05:00:00+08:00", "2011-03-31", None])
    assert made == 2
    assert session.scalar(text("SELECT to_regclass('event_2011_02') IS NOT NULL"))
    session.execute(text(INSERT), {"at": "2011-02-25T00:00:00Z", "n": 1})
    assert _where(session, "P1") == "event_2011_03"


def test_months_far_from_now_stay_in_the_default_partition(session: Session) -> None:
    assert partitions.ensure_months(session, ["1950-06-01", "2099-01-01"]) == 0
    session.execute(text(INSERT), {"at": "1950-05-25T00:00:00Z", "n": 1})
    assert _where(session, "P1") == "event_default"


def test_kpis_of_a_month_read_that_month_only(session: Session) -> None:
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    statement = sql.load("kpis")
    params = dict.fromkeys(re.findall(r"(?<![:\w]):([a-z_]+)", statement))
    params.update(level="grid", start=first, end=(first + timedelta(days=32)).replace(day=1),
                  now=datetime.now(UTC), satisfied_min=4)
    plan = "\n".join(session.execute(text("EXPLAIN " + statement), params).scalars())
    # partitions scanned (not their indexes: a bitmap scan names event_YYYY_MM_..._idx too)
    scanned = re.findall(r" on (event_(?:\d{4}_\d{2}|default))\b", plan)
    assert set(scanned) == {f"event_{first:%Y_%m}"}, plan


def test_a_log_row_for_a_missing_event_is_refused(session: Session) -> None:
    with pytest.raises(IntegrityError, match="fk_event_log_event_id_event_registry"):
        session.execute(text("INSERT INTO event_log (event_id, to_status, actor) "
                             "VALUES (987654321, 'reported', 'test')"))


def test_codes_stay_unique_across_months(session: Session) -> None:
    make_event(session, code="E-SAME")
    with pytest.raises(IntegrityError, match="uq_event_registry_code"):
        session.execute(text(INSERT.replace("'P' || n", "'E-SAME'")),
                        {"at": "2025-01-01T00:00:00Z", "n": 1})


def test_moving_and_recoding_events_keeps_their_log(session: Session) -> None:
    event = make_event(session)
    session.execute(text("INSERT INTO event_log (event_id, to_status, actor) "
                         "VALUES (:id, 'reported', 'test')"), {"id": event.id})
    month = _where(session, event.code)
    session.execute(text("UPDATE event SET reported_at = reported_at - interval '40 days', "
                         "grid_id = NULL WHERE id = :id"), {"id": event.id})
    assert _where(session, event.code) != month
    session.execute(text("UPDATE event SET code = 'E-NEW' WHERE id = :id"), {"id": event.id})
    assert session.execute(text(
        "SELECT r.code, count(l.id) FROM event_registry r JOIN event_log l ON l.event_id = r.id "
        "WHERE r.id = :id GROUP BY r.code"), {"id": event.id}).one() == ("E-NEW", 1)


def test_deleting_an_event_deletes_its_log_and_unlinks_its_duplicates(session: Session):
    original, duplicate = make_event(session), make_event(session)
    session.execute(text("UPDATE event SET duplicate_of = :o WHERE id = :d"),
                    {"o": original.id, "d": duplicate.id})
    session.execute(text("INSERT INTO event_log (event_id, to_status, actor) "
                         "VALUES (:id, 'reported', 'test')"), {"id": original.id})
    session.execute(text("DELETE FROM event WHERE id = :id"), {"id": original.id})
    assert session.scalar(text("SELECT count(*) FROM event_log WHERE event_id = :id"),
                          {"id": original.id}) == 0
    assert session.scalar(text("SELECT duplicate_of FROM event WHERE id = :id"),
                          {"id": duplicate.id}) is None
    assert session.scalar(text("SELECT count(*) FROM event_registry WHERE id = :id"),
                          {"id": original.id}) == 0


def test_truncating_events_empties_the_registry(session: Session) -> None:
    make_event(session, code="E-GONE")
    session.execute(text("TRUNCATE event"))
    make_event(session, code="E-GONE")  # the code is free again
    assert session.scalar(text("SELECT count(*) FROM event_registry")) == 1
