"""A scan of a whole test run for personal data where it must never be: log records, error
bodies, and every other answer (JSON, pages, exports, vector tiles).

``LeakScan`` is a logging handler (on the root logger, for the run) and an httpx response hook
(on every test client of tests/conftest.py). It keeps only what it finds, with where it was:
in logs and error bodies an 18-digit ID number or a mobile phone in clear; in any other answer
not asked to reveal (``reveal=true``) an ID number in clear, looked for in the bytes (tiles,
GeoPackages) and inside zips (zipped Shapefiles). Mobile phones are not judged in answers:
grid workers' phones are public (上岗公示); tests/api/test_leak_outputs.py checks the
residents' and reporters' phones themselves. tests/conftest.py fails the run when the scan
found anything; tests/test_leaks.py shows it can.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

import httpx

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z_.])[1-9]\d{16}[\dXx](?![0-9A-Za-z_])")
"""An 18-digit ID number: it starts with a province code (never 0), is no decimal fraction (an
.xlsx stores 0.008999999999999999 as text) and no run of digits inside an ASCII word (folium's
element ids are uuid4 hex: one of them held 18 digits in a row)."""
MOBILE = re.compile(r"(?<![0-9A-Za-z_.])1[3-9]\d{9}(?![0-9A-Za-z_])")
WATCHED = ("gridmap", "api", "gis", "layers", "uvicorn")
"""Loggers read at every level; the rest reach the root logger from WARNING up."""


def found_in(text: str) -> list[str]:
    """ID numbers and mobile phones in clear in ``text``, each cut to a hint (not the value:
    the report must not spread them either)."""
    return [f"{m.group()[:6]}…({len(m.group())} digits)"
            for pattern in (ID_NUMBER, MOBILE) for m in pattern.finditer(text)]


def ids_in(content: bytes) -> list[str]:
    """ID numbers in clear in an answer's bytes (text, tiles, GeoPackages), or inside the
    members of a zip, as hints."""
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return [hint for name in archive.namelist() for hint in ids_in(archive.read(name))]
    text = content.decode("latin-1")  # any byte is a character: digits stay digits
    return [f"{m.group()[:6]}…(18 digits)" for m in ID_NUMBER.finditer(text)]


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
        """An httpx response hook: scan error bodies (4xx, 5xx) for ID numbers and phones,
        other answers for ID numbers unless the request asked to reveal."""
        response.read()
        where = f"{response.request.method} {response.request.url.path} {response.status_code}"
        if response.status_code >= 400:
            self.leaks += [f"{where} body: {hint}" for hint in found_in(response.text)]
        elif response.request.url.params.get("reveal", "").lower() not in ("true", "1"):
            self.leaks += [f"{where} answer: {hint}" for hint in ids_in(response.content)]

    def install(self) -> None:
        """Listen on the root logger, and to the watched loggers at every level."""
        logging.getLogger().addHandler(self)
        for name in WATCHED:
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
                logger.setLevel(logging.DEBUG)

    def uninstall(self) -> None:
        logging.getLogger().removeHandler(self)
