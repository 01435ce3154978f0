"""The month partitions of ``event`` (migration 0015): made ahead of the rows that need them.

Rows whose month has no partition land in the DEFAULT partition (never refused); these
functions make the months before a bulk load writes them, and ``maintain`` makes the months
ahead and splits the default partition's rows into their months (``gridmap migrate`` runs it;
run it at least yearly, e.g. with a monthly cron of ``gridmap migrate``). Months outside
[now - 20 years, now + 2 years] stay in the default partition. Making a partition takes a
SHARE UPDATE EXCLUSIVE lock on ``event`` and an ACCESS EXCLUSIVE one on the default partition
until the transaction ends (queries not bounded by date wait for it), so request paths never
call these; a month that has its partition costs one catalogue lookup and no lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

__all__ = ["available", "ensure_months", "maintain", "months_of"]

AHEAD = 3
"""Months made ahead of the current one by ``maintain``."""


def months_of(instants: Iterable[datetime | str | None] | pd.Series) -> list[datetime]:
    """The distinct UTC months (their first instant, aware) of ``instants``; naive ones are
    taken as UTC, missing ones skipped."""
    stamps = pd.to_datetime(pd.Series(list(instants), dtype=object), utc=True,
                            errors="coerce", format="mixed").dropna()
    if stamps.empty:
        return []
    months = stamps.dt.tz_localize(None).dt.to_period("M").unique()
    return [m.to_timestamp().tz_localize("UTC").to_pydatetime() for m in months]


def ensure_months(session: Session | Connection, instants: Iterable[datetime | str | None]
                  | pd.Series) -> int:
    """Make the partitions of every month of ``instants`` that lacks one (moving that month's
    rows out of the default partition); the number made. In the caller's transaction."""
    months = months_of(instants)
    if not months:
        return 0
    made = session.execute(text(
        "SELECT count(*) FILTER (WHERE gm_event_partition(m)) "
        "FROM unnest(CAST(:months AS timestamptz[])) AS m"), {"months": months}).scalar()
    return int(made or 0)


def maintain(session: Session | Connection, *, ahead: int = AHEAD) -> int:
    """Make this month's partition and ``ahead`` more, and one for every month found in the
    default partition; the number made."""
    return int(session.execute(text("SELECT gm_event_partitions_ahead(:ahead)"),
                               {"ahead": ahead}).scalar() or 0)


def available(engine: Engine) -> bool:
    """Whether the database's ``event`` is partitioned (migration 0015 applied)."""
    with engine.connect() as conn:
        return bool(conn.scalar(text(
            "SELECT to_regprocedure('gm_event_partitions_ahead(integer)') IS NOT NULL")))
