"""The API-key check of a keyed tile request without the pool, the thread or a transaction,
and mostly without the database.

``keys.caller_from_token`` checks a key in the request's session: a pooled connection, a
thread of the pool, BEGIN, the verify statement, COMMIT (about 0.8 ms of a cached keyed tile's
answer, bench/tiles). ``KeyChecks`` asks the same statement (gis/core/sql/key_verify.sql,
prepared once) on one connection of this process outside the pool, in psycopg2's
asynchronous mode (autocommit: no BEGIN, no COMMIT) awaited on the event loop (no thread),
and then holds the key as valid while the key listener (gis.access.keywatch, NOTIFY
gridmap_keys of migration 0022) hears of no change to any key, at most REFRESH_S, and never
past the key's expiry (this machine's clock). So:

- a key revoked (or its expiry, role, region changed) by this process is asked again at its
  next request (``keys.revoke_key`` moves the listener's epoch at its commit);
- by another process (``gridmap keys revoke``, psql): within the notification's delay, a few
  milliseconds after the commit; if the listener is cut off, within LIVE_S (2 s): the held
  keys are trusted only while it has heard the database within that time;
- while the listener is not connected every check asks the database (one round trip).

It decides only what the verify row decides (the key's caller, or revoked / expired /
malformed: Unauthenticated). What it cannot decide it leaves to ``caller_from_token`` (None):
no row for the digest (an unknown key, or one whose digest is stamped only after its scrypt
hash proves it) and any trouble with the connection (it is then closed and opened again at
the next check, no sooner than RETRY_S later), so errors (503, 504) stay the route's. Unknown
and refused keys are never held.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine

from gis.access import keys, keywatch
from gis.access.callers import Caller
from gis.core import sql

RETRY_S = 1.0
"""After a failed connection or statement, checks go to the session's path this long."""
REFRESH_S = 60.0
"""A key held as valid is asked again this long after the database said so (and its last
use stamped, hourly), even when nothing was heard of it."""
HELD_MAX = 10_000
"""Keys held at most (all forgotten when full: a flood of valid keys is not the case)."""
log = logging.getLogger(__name__)


def _prepared(name: str, statement: str, params: tuple[str, ...]) -> str:
    """``PREPARE name AS`` the statement of gis/core/sql/``statement``.sql, its ``:param``
    placeholders numbered in the order of ``params`` (``text`` types: PostgreSQL casts)."""
    body = sql.load(statement)
    for number, param in enumerate(params, start=1):
        body = re.sub(rf":{param}\b", f"${number}", body)
    return f"PREPARE {name} AS {body}"


_PREPARE = ";".join([_prepared("gm_key_verify", "key_verify", ("digest",)),
                     _prepared("gm_key_touch", "key_touch", ("id",))])


def _wake(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


# psycopg2.extensions.POLL_*: what an asynchronous connection waits for
_POLL_OK, _POLL_READ = 0, 1


async def _ready(conn: Any) -> None:
    """Until ``conn`` (asynchronous mode) has finished what it was doing: polled, awaiting
    its socket on the running loop in between; its errors raised."""
    loop = asyncio.get_running_loop()
    while (state := conn.poll()) != _POLL_OK:
        done = loop.create_future()
        fd = conn.fileno()
        reading = state == _POLL_READ
        (loop.add_reader if reading else loop.add_writer)(fd, _wake, done)
        try:
            await done
        finally:
            (loop.remove_reader if reading else loop.remove_writer)(fd)


@dataclass(frozen=True)
class _Held:
    """A key the database found valid under the listener's ``epoch``."""

    caller: Caller
    epoch: int
    until: float
    """``time.monotonic()`` after which the database is asked again."""
    expires: float | None
    """Its expiry in unix seconds (this machine's clock), None: until revoked."""

    def valid(self) -> bool:
        return time.monotonic() < self.until and (self.expires is None
                                                  or time.time() < self.expires)


class KeyChecks:
    """This process's key connection to ``engine``'s database (opened at the first check,
    closed by ``close``); one check at a time on it, statements cut at ``timeout_ms``."""

    def __init__(self, engine: Engine, *, timeout_ms: int) -> None:
        self._engine = engine
        self._timeout_ms = timeout_ms
        self._conn: Any = None
        self._lock = asyncio.Lock()
        # another driver (never the server's: GRIDMAP_DATABASE_URL is psycopg2's) is left
        # to the session's path
        self._usable = engine.dialect.driver == "psycopg2"
        self._retry_at = 0.0
        self._watch: keywatch.KeyWatch | None = None
        self._held: dict[str, _Held] = {}
        self.statements = 0
        """Statements run (the tests count round trips)."""

    async def caller(self, token: str, secret: bytes) -> Caller | None:
        """The caller of bearer key ``token`` as ``keys.caller_from_token`` would say,
        Unauthenticated for a malformed, revoked or expired key; None when only that
        function can decide (see the module). Stamps the key's last use once an hour."""
        wanted = keys.digest(keys.checked_form(token), secret)
        epoch = self._epoch()
        held = self._held.get(wanted)
        if held is not None and held.epoch == epoch and held.valid():
            return held.caller
        self._held.pop(wanted, None)
        row = await self._run("EXECUTE gm_key_verify(%s)", (wanted,))
        if row is None or not keys.digest_matches(row.digest, wanted):
            return None
        caller = keys.caller_of_row(row)
        if row.stale:
            await self._run("EXECUTE gm_key_touch(%s)", (row.id,))
        if epoch is not None:
            if len(self._held) >= HELD_MAX:
                self._held.clear()
            self._held[wanted] = _Held(caller, epoch, time.monotonic() + REFRESH_S,
                                       None if row.expires_at is None
                                       else row.expires_at.timestamp())
        return caller

    def _epoch(self) -> int | None:
        """The key listener's epoch (gis.access.keywatch; started at the first check)."""
        if self._watch is None:
            if not self._usable:
                return None
            self._watch = keywatch.watch(self._engine)
        return self._watch.epoch()

    async def _run(self, statement: str, params: tuple[Any, ...]) -> Any:
        """The first row of ``statement`` as attributes (None: no row, or it failed)."""
        if not self._usable or time.monotonic() < self._retry_at:
            return None
        async with self._lock:
            try:
                conn = self._conn or await self._connect()
                cur = conn.cursor()
                cur.execute(statement, params)
                self.statements += 1
                await _ready(conn)
                found = cur.fetchone() if cur.description else None
            except BaseException as exc:  # cancelled mid-statement too: the connection is
                self.close()               # in an unknown state, a new one is made later
                if not isinstance(exc, Exception):
                    raise
                log.warning("key connection failed (%s): keys checked in the session's "
                            "transaction for %.0f s", type(exc).__name__, RETRY_S)
                self._retry_at = time.monotonic() + RETRY_S
                return None
        if found is None:
            return None
        return SimpleNamespace(**{d.name: v for d, v in zip(cur.description, found, strict=True)})

    async def _connect(self) -> Any:
        dialect = self._engine.dialect  # psycopg2 (its module: no stubs needed here)
        cargs, cparams = dialect.create_connect_args(self._engine.url)
        conn = dialect.loaded_dbapi.connect(*cargs, **cparams, async_=True)
        self._conn = conn
        await _ready(conn)
        cur = conn.cursor()
        cur.execute("SELECT set_config('statement_timeout', %s, false)", (str(self._timeout_ms),))
        await _ready(conn)
        cur.execute(_PREPARE)
        await _ready(conn)
        self.statements += 2
        return conn

    @property
    def pid(self) -> int | None:
        """The key connection's backend process id (None while it is not open)."""
        return None if self._conn is None or self._conn.closed else self._conn.info.backend_pid

    def close(self) -> None:
        """Close the connection (a next check opens another)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.close()
