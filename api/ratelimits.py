"""Rate limits: writes per API key, map logins and wrong keys per client address.

Counted with the ``limits`` library's moving windows in its in-memory storage: one server
process keeps its own counts (several workers or hosts would each count apart; a shared
storage such as Redis is a one-line change in ``RateLimits.__init__``). A wrong key is
counted (and logged, never with the key) after it failed; once an address is past its limit
any request from it that carries a key is refused before the key is looked at, so a flood of
guesses costs no hashing and no query.
"""

from __future__ import annotations

import logging
import math
import time

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from gis.access.callers import Caller
from gis.core.errors import RateLimited
from gis.core.settings import Settings

log = logging.getLogger("gridmap.api")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RateLimits:
    """The app's counters (one per app, made by create_app)."""

    def __init__(self, settings: Settings) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.rules: dict[str, tuple[list[RateLimitItem], str]] = {
            "write": (parse_many(settings.rate_limit_writes), "GRIDMAP_RATE_LIMIT_WRITES"),
            "login": (parse_many(settings.rate_limit_logins), "GRIDMAP_RATE_LIMIT_LOGINS"),
            "wrong_key": (parse_many(settings.rate_limit_wrong_keys),
                          "GRIDMAP_RATE_LIMIT_WRONG_KEYS"),
        }

    def _refusal(self, kind: str, who: str, what: str) -> RateLimited | None:
        """The refusal when ``who`` is past a limit of ``kind``, else None (nothing counted)."""
        items, setting = self.rules[kind]
        for item in items:
            if not self.limiter.test(item, kind, who):
                reset = self.limiter.get_window_stats(item, kind, who).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                return RateLimited(f"too many {what} ({item}, {setting}); try again in "
                                   f"{wait} s", retry_after=wait)
        return None

    def hit(self, kind: str, who: str, what: str) -> None:
        """Count one ``kind`` for ``who``; RateLimited when that goes past a limit."""
        refusal = self._refusal(kind, who, what)
        if refusal is not None:
            raise refusal
        for item in self.rules[kind][0]:
            self.limiter.hit(item, kind, who)

    def check_address(self, request: Request) -> None:
        """Refuse a request carrying a key from an address past its wrong-key limit."""
        refusal = self._refusal("wrong_key", address(request),
                                "wrong API keys from this address")
        if refusal is not None:
            log.warning("wrong-key limit: refused a keyed request from %s", address(request))
            raise refusal

    def wrong_key(self, request: Request, reason: str) -> None:
        """Count and log a failed key (``reason`` is gridmap's message, never the key)."""
        log.warning("wrong API key from %s on %s %s: %s", address(request), request.method,
                    request.url.path, reason)
        for item in self.rules["wrong_key"][0]:
            self.limiter.hit(item, "wrong_key", address(request))

    def login(self, request: Request) -> None:
        self.hit("login", address(request), "login attempts from this address")

    def write(self, request: Request, caller: Caller) -> None:
        """Count a write by a key (anonymous callers cannot write)."""
        if request.method in WRITE_METHODS and caller.key_id is not None:
            self.hit("write", f"key:{caller.key_id}", "writes with this API key")


def address(request: Request) -> str:
    """The client's address (behind a proxy: run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def of(request: Request) -> RateLimits:
    return request.app.state.rate_limits
