"""The current tile versions of a database, held in each process, so a cached tile (gis.tiles.
cache) is answered with no database round trip.

``tile_version.versions`` (migration 0017) maps each table under the tiles to the number of
the last commit that wrote it. Migration 0021 announces every new value at its commit, twice:

- NOTIFY gridmap_tiles, heard by this process's listener (``TileWatch``: LISTEN on a
  connection of its own, a daemon thread, one per database URL, started on first use): another
  process's write is known here a few milliseconds after its commit.
- a NOTICE to the committing connection, when the connection asked for it: every connection
  this process opens through SQLAlchemy does (``gridmap.tile_notice`` in its startup options,
  the ``do_connect`` hook below), and the notices are read when the connection goes back to its
  pool or begins its next transaction, so a write made by this process is known here before
  the request that made it answers: the next request never serves the tile it changed.

While the listener is not connected (starting, reconnecting after a database restart, a
database without migration 0021), ``current`` is None and callers read the versions from the
database as before (gis/core/sql/tile_versions.sql). Numbers only grow (one sequence), so
whatever is heard is merged by keeping the larger number per table. The listener also reads
the row itself every ``CHECK_S`` (so a connection that died silently is noticed): a commit of
another process missed is served late by at most that, never a tile older than its key names.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.pool import Pool

from gis.core import notify

CHANNEL = "gridmap_tiles"
NOTICE_OPTION = "-c gridmap.tile_notice=on"
CHECK_S = 2.0
"""The listener reads the row itself this often (and so notices a dead connection)."""
RETRY_S = 1.0
"""First wait before the listener connects again; doubled up to RETRY_MAX_S while it fails."""
RETRY_MAX_S = 30.0
_NOTICE = re.compile(r"gridmap_tiles (\{.*\})")
log = logging.getLogger(__name__)

Known = tuple[str, Mapping[str, int]]
"""(database, {table: version}) as this process knows them now."""


class TileWatch:
    """The tile versions of one database as this process last heard them (listener thread on a
    connection of its own, outside the pool); ``current()`` is None while it is not listening."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._known: Known | None = None
        self.pid: int | None = None  # the listener's backend (tests stop it to see the fallback)
        self.thread = threading.Thread(target=self._run, name="tile-version-watch", daemon=True)
        self.thread.start()

    def current(self) -> Known | None:
        """(database, versions) heard last, or None when they cannot be known without the
        database. No I/O."""
        return self._known

    def merge(self, database: str, versions: Mapping[str, Any]) -> None:
        """Take numbers heard for ``database`` (the larger per table wins); ignored while not
        listening: what is heard then may be followed by commits nobody announces here."""
        with self._lock:
            known = self._known
            if known is None or known[0] != database:
                return
            merged = dict(known[1])
            for table, number in versions.items():
                if int(number) > merged.get(table, -1):
                    merged[table] = int(number)
            self._known = (database, merged)

    def _run(self) -> None:
        wait = RETRY_S / 2
        while True:
            try:
                if not self._listen():
                    return  # no NOTIFY in this database's triggers: never known here
            except Exception as exc:  # any failure: the versions are read per request, retry
                log.info("tile version listener reconnecting: %s", type(exc).__name__)
                wait = RETRY_S if self.pid is not None else min(wait * 2, RETRY_MAX_S)
            with self._lock:
                self._known = None
            self.pid = None
            time.sleep(wait)

    def _listen(self) -> bool:
        with notify.listening(self._engine, CHANNEL, "gm_tile_bump") as listener:
            if listener is None:
                return False
            conn, cur = listener
            self.pid = conn.info.backend_pid
            try:
                while True:  # read after LISTEN: no number committed in between is missed
                    cur.execute("SELECT current_database(), versions FROM tile_version")
                    database, versions = cur.fetchone()
                    with self._lock:
                        known = self._known
                        self._known = (database, dict(versions) if known is None else {
                            table: max(int(n), int(known[1].get(table, -1)))
                            for table, n in versions.items()})
                    for batch in notify.payloads(conn, CHECK_S):
                        for payload in batch:
                            self.merge(database, json.loads(payload))
            finally:
                with self._lock:
                    self._known = None


_WATCHES: notify.Watchers[TileWatch] = notify.Watchers(TileWatch)


def watch(engine: Engine) -> TileWatch:
    """This process's listener on ``engine``'s database (started on first use; one per
    database URL)."""
    return _WATCHES.of(engine)


def current(engine: Engine) -> Known | None:
    """The tile versions of ``engine``'s database as this process knows them, or None (then
    read them from the database). No I/O."""
    return watch(engine).current()


def _merge_everywhere(database: str, versions: Mapping[str, Any]) -> None:
    watches = _WATCHES.all()
    for one in watches:
        one.merge(database, versions)


# A commit of this process: the versions it set come back as a NOTICE with the COMMIT's
# answer (migration 0021), read when the connection is returned or begins again.

def _ask_for_notice(dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    if dialect.name != "postgresql" or dialect.driver != "psycopg2":
        return
    options = cparams.get("options", "")
    if NOTICE_OPTION not in options:
        cparams["options"] = f"{options} {NOTICE_OPTION}".strip()


def read_notices(dbapi_connection: Any) -> None:
    """Merge the tile versions a commit on ``dbapi_connection`` announced to it (and drop
    those notices, leaving any other)."""
    notices = getattr(dbapi_connection, "notices", None)
    if not notices or dbapi_connection.closed:  # closed: its commit may not have happened
        return
    heard = [m for m in map(_NOTICE.search, notices) if m is not None]
    if not heard:
        return
    notices[:] = [n for n in notices if _NOTICE.search(n) is None]
    database = dbapi_connection.info.dbname
    for found in heard:
        _merge_everywhere(database, json.loads(found[1]))


def _on_reset(dbapi_connection: Any, *_: object) -> None:
    read_notices(dbapi_connection)


def _on_begin(conn: Connection) -> None:
    if not (conn.closed or conn.invalidated):
        read_notices(conn.connection.dbapi_connection)


event.listen(Engine, "do_connect", _ask_for_notice)
event.listen(Pool, "reset", _on_reset)
event.listen(Engine, "begin", _on_begin)
