"""Whether the keys this process holds as valid may still be trusted: a listener on NOTIFY
gridmap_keys (migration 0022), one per database, on a connection of its own.

``epoch()`` is a number that changes whenever a key may have changed (a notification heard,
the listener connected again, ``forget_everywhere`` called after this process's own revoke)
and None when nothing may be trusted: the listener not connected (starting, reconnecting
after a database restart, a database without migration 0022) or not heard from for LIVE_S
(it pings the database every CHECK_S when no notification comes, so a connection that died
silently stops the trust within LIVE_S). A key found valid under one epoch is valid while
the epoch stays the same (gis.access.keycheck).
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine

from gis.core import notify

CHANNEL = "gridmap_keys"
CHECK_S = 0.5
"""The listener pings its connection this often when no notification comes."""
LIVE_S = 2.0
"""The keys held are trusted only this long after the listener last heard the database."""
RETRY_S = 1.0
"""First wait before the listener connects again; doubled up to RETRY_MAX_S while it fails."""
RETRY_MAX_S = 30.0
log = logging.getLogger(__name__)


class KeyWatch:
    """The key listener of one database (a daemon thread, started when made)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._epoch = 0
        self._heard_at = float("-inf")
        self.pid: int | None = None  # the listener's backend (tests stop it)
        self.thread = threading.Thread(target=self._run, name="key-watch", daemon=True)
        self.thread.start()

    def epoch(self) -> int | None:
        """The current epoch, or None when held keys may not be trusted. No I/O."""
        if time.monotonic() - self._heard_at > LIVE_S:
            return None
        return self._epoch

    def forget(self) -> None:
        """Move to a new epoch: every key held under the old one is asked again."""
        with self._lock:
            self._epoch += 1

    def _heard(self) -> None:
        self._heard_at = time.monotonic()

    def _run(self) -> None:
        wait = RETRY_S / 2
        while True:
            try:
                if not self._listen():
                    return  # no NOTIFY on api_key in this database: never trusted
            except Exception as exc:  # any failure: keys are asked per request, retry
                log.info("key listener reconnecting: %s", type(exc).__name__)
                wait = RETRY_S if self.pid is not None else min(wait * 2, RETRY_MAX_S)
            self._heard_at = float("-inf")
            self.forget()
            self.pid = None
            time.sleep(wait)

    def _listen(self) -> bool:
        with notify.listening(self._engine, CHANNEL, "gm_key_notify") as listener:
            if listener is None:
                return False
            conn, cur = listener
            self.pid = conn.info.backend_pid
            try:
                self.forget()  # what was held before LISTEN may have changed unheard
                self._heard()
                while True:
                    for batch in notify.payloads(conn, CHECK_S):
                        if batch:
                            self.forget()
                        self._heard()
                    cur.execute("SELECT 1")
                    cur.fetchone()
                    self._heard()
            finally:
                self._heard_at = float("-inf")


_WATCHES: notify.Watchers[KeyWatch] = notify.Watchers(KeyWatch)


def watch(engine: Engine) -> KeyWatch:
    """This process's key listener on ``engine``'s database (started on first use)."""
    return _WATCHES.of(engine)


def forget_everywhere() -> None:
    """Every listener of this process moves to a new epoch (after this process's own change
    to a key committed: its next request must not wait for the notification)."""
    for one in _WATCHES.all():
        one.forget()
