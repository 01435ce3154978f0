"""What the in-process copies kept in step by PostgreSQL's LISTEN/NOTIFY share: a listening
connection of their own, the notifications as they come, and one watcher per database.

Used by gis.grids.locate_index (the current grids' version) and gis.tiles.versions (the
tile versions): each follows a trigger function that ``pg_notify``s a channel at commit.
"""

from __future__ import annotations

import select
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

W = TypeVar("W")


@contextmanager
def listening(engine: Engine, channel: str, function: str) -> Iterator[tuple[Any, Any] | None]:
    """A psycopg2 connection of its own (out of ``engine``'s pool, autocommit) listening on
    ``channel`` and a cursor on it; None when trigger function ``function`` announces nothing
    (a database migrated before it did). Closed on leaving."""
    fairy = engine.raw_connection()
    fairy.detach()  # held for good: not one of the pool's connections
    conn: Any = fairy.dbapi_connection
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT coalesce(bool_or(prosrc LIKE '%%pg_notify%%'), false) "
                        "FROM pg_proc WHERE proname = %s", (function,))
            if not cur.fetchone()[0]:
                yield None
                return
            cur.execute(f"LISTEN {channel}")  # a fixed name of gridmap's, never input
            yield conn, cur
    finally:
        conn.close()


def payloads(conn: Any, quiet_s: float) -> Iterator[list[str]]:
    """The payloads of the notifications ``conn`` receives, a batch at a time, until
    ``quiet_s`` seconds pass without one (the caller then reads the truth again)."""
    while select.select([conn], [], [], quiet_s)[0]:
        conn.poll()
        batch = [n.payload for n in conn.notifies]
        conn.notifies.clear()
        yield batch


class Watchers(Generic[W]):
    """One watcher per database URL in this process, found by the engine object first
    (rendering its URL costs as much as a locate's lookup)."""

    def __init__(self, make: Callable[[Engine], W]) -> None:
        self._make = make
        self._by_url: dict[str, W] = {}
        self._lock = threading.Lock()
        self._by_engine: weakref.WeakKeyDictionary[Engine, W] = weakref.WeakKeyDictionary()

    def of(self, engine: Engine) -> W:
        found = self._by_engine.get(engine)
        if found is None:
            key = engine.url.render_as_string(hide_password=False)
            with self._lock:
                found = self._by_url.get(key)
                if found is None:
                    found = self._by_url[key] = self._make(engine)
            self._by_engine[engine] = found
        return found

    def all(self) -> list[W]:
        with self._lock:
            return list(self._by_url.values())
