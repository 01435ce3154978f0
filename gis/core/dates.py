"""The dates and instants gridmap accepts from people: one range, one message.

Python's dates end at 9999-12-31 (adding a day to it overflows) and PostgreSQL's timestamps
begin in 4713 BC, so an absurd date either crashes arithmetic or silently matches nothing.
Every date or instant taken from the API, the command line or a file is checked here first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

from gis.core.errors import InvalidInput

__all__ = ["FIRST_DAY", "LAST_DAY", "check_day", "check_moment", "check_range", "parse_interval"]

FIRST_DAY: Final = date(1900, 1, 1)
LAST_DAY: Final = date(2099, 12, 31)
ALLOWED: Final = f"between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"


def check_day(value: date | None, name: str) -> date | None:
    """``value`` unchanged when it lies in the allowed range (or is None), else InvalidInput
    naming ``name`` and the range."""
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(f"{name} ({value.isoformat()}) must lie {ALLOWED}")
    return value


def check_moment(value: datetime | None, name: str) -> datetime | None:
    """``value`` (naive taken as UTC) when its day lies in the allowed range, else
    InvalidInput naming ``name`` and the range."""
    if value is None:
        return None
    check_day(value.date(), name)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_range(start: date | None, end: date | None, names: tuple[str, str] = ("from", "to")
                ) -> None:
    """Both ends in the allowed range and ``start`` not after ``end`` (dates or instants)."""
    first, last = names
    for value, name in ((start, first), (end, last)):
        if isinstance(value, datetime):
            check_moment(value, name)
        else:
            check_day(value, name)
    if start is not None and end is not None and _comparable(start) > _comparable(end):
        raise InvalidInput(f"{first} ({start.isoformat()}) must not be after {last} "
                           f"({end.isoformat()})")


def _comparable(value: date) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def parse_interval(value: str, name: str = "datetime") -> tuple[datetime | None, datetime | None]:
    """An OGC API ``datetime``: an RFC 3339 instant (``2026-12-03T15:03:00+08:00``, a date
    ``2026-12-03`` meaning that whole day in UTC) or an interval ``start/end`` with ``..`` or
    nothing for an open end. Returns (start, end), aware; InvalidInput for anything else."""
    text = value.strip()
    if "/" not in text:
        start, end = _moment(text, name, end=False), _moment(text, name, end=True)
        if start is None:
            raise InvalidInput(f"{name} must be an instant or an interval, not '..'")
        return start, end
    first, _, last = text.partition("/")
    start, end = _moment(first, name, end=False), _moment(last, name, end=True)
    check_range(start, end, (f"{name} start", f"{name} end"))
    return start, end


def _moment(text: str, name: str, *, end: bool) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:  # a calendar date: the whole day
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return check_moment(moment.replace(hour=23, minute=59, second=59) if end
                                else moment, name)
        return check_moment(datetime.fromisoformat(text.replace("Z", "+00:00")), name)
    except ValueError:
        raise InvalidInput(f"{name} '{text[:40]}' is not an RFC 3339 date or time, e.g. "
                           "2026-12-03T15:03:00+08:00 or 2026-01-01/2026-12-31") from None
