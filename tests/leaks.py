"""A scan of a whole test run for personal data where it must never be: log records and error
bodies.

``LeakScan`` is a logging handler (on the root logger, for the run) and an httpx response hook
(on every test client of tests/conftest.py). It keeps only what it finds: an 18-digit ID number
or a mobile phone in clear, with where it was. tests/conftest.py fails the run when it found
any; tests/test_leaks.py shows it can.
"""

from __future__ import annotations

import logging
import re

import httpx

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
WATCHED = ("gridmap", "api", "gis", "layers", "uvicorn")
"""Loggers read at every level; the rest reach the root logger from WARNING up."""


def found_in(text: str) -> list[str]:
    """ID numbers and mobile phones in clear in ``text``, each cut to a hint (not the value:
    the report must not spread them either)."""
    return [f"{m.group()[:6]}…({len(m.group())} digits)"
            for pattern in (ID_NUMBER, MOBILE) for m in pattern.finditer(text)]


class LeakScan(logging.Handler):
    """What the run leaked, as 'where: hint' lines in ``leaks``."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info:
            message += logging.Formatter().formatException(record.exc_info)
        self.leaks += [f"log {record.name} {record.levelname}: {hint}"
                       for hint in found_in(message)]

    def on_response(self, response: httpx.Response) -> None:
        """An httpx response hook: scan error bodies (4xx, 5xx)."""
        if response.status_code < 400:
            return
        response.read()
        self.leaks += [f"{response.request.method} {response.request.url.path} "
                       f"{response.status_code} body: {hint}"
                       for hint in found_in(response.text)]

    def install(self) -> None:
        """Listen on the root logger, and to the watched loggers at every level."""
        logging.getLogger().addHandler(self)
        for name in WATCHED:
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
                logger.setLevel(logging.DEBUG)

    def uninstall(self) -> None:
        logging.getLogger().removeHandler(self)
