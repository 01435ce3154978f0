"""The run's personal-data scan (tests/leaks.py) finds what it must, and only that."""

from __future__ import annotations

import io
import logging
import zipfile

import httpx

from tests.leaks import LeakScan


def test_the_scan_finds_an_id_number_and_a_phone_in_logs() -> None:
    scan = LeakScan()
    # a logger of its own that does not propagate: the run's scan must not see these
    logger = logging.getLogger("gridmap.leakcheck")
    logger.propagate, logger.level = False, logging.DEBUG
    logger.addHandler(scan)
    try:
        logger.info("resident %s phone %s", "32070619900307123X", "13987654321")
        logger.info("masked 320706********123X 139****4321")
    finally:
        logger.removeHandler(scan)
    assert [hint.split(": ")[1] for hint in scan.leaks] == [
        "320706…(18 digits)", "139876…(11 digits)"]
    assert all("gridmap.leakcheck INFO" in hint for hint in scan.leaks)
    assert logging.getLogger("gridmap").getEffectiveLevel() == logging.DEBUG  # the run's


def test_the_scan_reads_error_bodies_only() -> None:
    scan = LeakScan()
    request = httpx.Request("GET", "http://testserver/api/v1/events/x")
    for status in (200, 404):
        scan.on_response(httpx.Response(status, text="电话 13987654321", request=request))
    assert scan.leaks == ["GET /api/v1/events/x 404 body: 139876…(11 digits)"]


def test_the_scan_reads_answers_for_id_numbers_unless_revealed() -> None:
    scan = LeakScan()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("residents.dbf", b"\x03\x00" + b"32070619900307123X" + b"\x00")
    for url, content in [("/api/v1/residents", "身份证 32070619900307123X".encode()),
                         ("/api/v1/residents?reveal=true", b"32070619900307123X"),
                         ("/api/v1/workers", b"13987654321"),  # public contact phones
                         ("/tiles/buildings/15/1/2.pbf", b"\x1a\x0532070619900307123x\x00"),
                         ("/api/v1/export/residents", packed.getvalue())]:
        request = httpx.Request("GET", "http://testserver" + url)
        scan.on_response(httpx.Response(200, content=content, request=request))
    assert scan.leaks == ["GET /api/v1/residents 200 answer: 320706…(18 digits)",
                          "GET /tiles/buildings/15/1/2.pbf 200 answer: 320706…(18 digits)",
                          "GET /api/v1/export/residents 200 answer: 320706…(18 digits)"]
