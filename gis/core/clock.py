"""Times for people: Asia/Shanghai, ``YYYY-MM-DD HH:MM``.

Pages, command-line tables and CSV/Excel exports show Beijing time; the API keeps ISO 8601
with its offset. Naive datetimes are taken as UTC (the database hands out aware ones).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
SHOWN_FORMAT = "%Y-%m-%d %H:%M"
BLANK = "—"


def local_text(moment: datetime | pd.Timestamp | None, *, blank: str = BLANK) -> str:
    """``moment`` as Beijing time ``2026-12-03 15:03``; ``blank`` for None/NaT."""
    if moment is None or pd.isna(moment):
        return blank
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(UTC)
    return stamp.tz_convert(LOCAL_TZ).strftime(SHOWN_FORMAT)


def local_text_series(values: pd.Series, *, blank: str = BLANK) -> pd.Series:
    """``local_text`` of a column, vectorised (one tz conversion and one strftime)."""
    stamps = pd.to_datetime(values, utc=True)
    return stamps.dt.tz_convert(LOCAL_TZ).dt.strftime(SHOWN_FORMAT).fillna(blank)
