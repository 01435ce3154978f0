"""Benchmark: every page's DOMContentLoaded in Chromium on the demo district (target < 1 s).

A throw-away database with the demo (seed 42), ``gridmap serve`` as a subprocess on a free
loopback port, Debian's headless Chromium driven by Playwright, every outside request
blocked. The browser logs in once with an admin key (the session cookie), then opens each
page ROUNDS times; the test-side timer is ``time.perf_counter`` around ``page.goto(...,
wait_until="domcontentloaded")`` (request sent to DOMContentLoaded fired), next to the
browser's own ``domContentLoadedEventEnd`` of the Navigation Timing API. The first visit is
cold (assets not cached yet). Per page also the HTML's bytes (uncompressed) and, for pages
whose layers come after load (layers/deferred.py), the time until they are in
(``<html data-gm-layers="loaded">``). Then the data grows (``GROW``: tens of thousands more
buildings, grids and events inside the demo district, set-based SQL) and ``GROWN`` pages are
opened again: their HTML bytes must not grow with it. Writes bench/results/pages.json (or
``BENCH_PAGES_OUT``). Not a test: numbers vary with the machine's load.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load.run import ours_command, server  # noqa: E402  (same server subprocess)
from gis import demo, plans  # noqa: E402
from gis.access import keys  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "3"))
TARGET_MS = 1000.0
SECRET = "bench-load-server-secret"  # the one bench.load.run.server hands the server
CHROMIUM = "/usr/bin/chromium"
COMMUNITY = "320706013001"
NAV_MS = """() => { const n = performance.getEntriesByType('navigation')[0];
    return n.domContentLoadedEventEnd - n.startTime; }"""
LAYERS_STATE = "() => document.documentElement.getAttribute('data-gm-layers')"
LAYERS_DONE = "() => document.documentElement.getAttribute('data-gm-layers') !== 'loading'"
GROW = {"buildings": 30_000, "grids": 3_000, "events": 30_000}
GROWN = ["/map", "/map/coverage", "/map/dispatch/list", "/map/dispatch"]
TIMEOUT_MS = 120_000
OUT = Path(os.environ.get("BENCH_PAGES_OUT", str(ROOT / "bench" / "results" / "pages.json")))


def prepare(engine: Engine) -> tuple[str, list[str]]:
    """An admin key and the pages to open (one object of each kind where a page needs one)."""
    demo.load_demo(engine, seed=42)
    with Session(engine) as session, session.begin():
        key = keys.create_key(session, role="admin", label="bench pages",
                              secret=SECRET.encode())
        event = session.execute(text("SELECT min(code) FROM event WHERE status = 'reported' "
                                     "AND community_code = :c"), {"c": COMMUNITY}).scalar_one()
        plan = plans.create_plan(session, kind="balance", scope_code=COMMUNITY,
                                 created_by="bench pages").id
    pages = ["/map/login", "/map", "/map/coverage", f"/map/dispatch?event={event}",
             "/map/dispatch", "/map/dispatch/list", f"/map/plans?scope={COMMUNITY}",
             f"/map/plans/{plan}", f"/map/qa?scope={COMMUNITY}", "/map/cockpit",
             "/ogc/collections?f=html", "/ogc/collections/grids/items?f=html", "/docs", "/redoc"]
    return key, pages


# the n-th small box on a 200-column lattice over the district (lon/lat, EPSG:4490)
CELL = ("ST_Multi(ST_MakeEnvelope(:w + (n % 200) * :dx, :s + (n / 200) * :dy, "
        ":w + (n % 200) * :dx + :dx * 0.6, :s + (n / 200) * :dy + :dy * 0.6, 4490))")


def grow(engine: Engine) -> dict[str, int]:
    """``GROW`` more buildings, unified grids and open events over the demo district (one
    community's code), set-based; answers the table sizes after it."""
    with Session(engine) as session, session.begin():
        box = session.execute(text("SELECT ST_XMin(e) w, ST_YMin(e) s, ST_XMax(e) e, "
                                   "ST_YMax(e) n FROM (SELECT ST_Extent(geom) e FROM region "
                                   "WHERE level = 'community') x")).one()
        base = {"w": box.w, "s": box.s, "dx": (box.e - box.w) / 200, "c": COMMUNITY}
        for table, sql in (
                ("buildings", "INSERT INTO building (code, address, households, residents, "
                 "community_code, geom) SELECT 'XB' || n, '海州区压测路' || n || '号', 10, 25, "
                 f":c, {CELL} FROM generate_series(0, :k - 1) AS n"),
                ("grids", "INSERT INTO grid (code, name, theme, kind, community_code, geom) "
                 f"SELECT 'XG' || n, '压测网格' || n, 'unified', 'residential', :c, {CELL} "
                 "FROM generate_series(0, :k - 1) AS n"),
                ("events", "INSERT INTO event (code, category, channel, community_code, geom) "
                 "SELECT 'XE' || n, 'environment', 'patrol', :c, ST_SetSRID(ST_MakePoint("
                 ":w + (n % 200) * :dx, :s + (n / 200) * :dy), 4490) "
                 "FROM generate_series(0, :k - 1) AS n")):
            k = GROW[table]
            session.execute(text(sql), {**base, "k": k, "dy": (box.n - box.s) / (k / 200)})
        sizes = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                 for t in ("building", "grid", "event")}
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    return sizes


def open_pages(page: Any, base: str, pages: list[str], label: str = "",
               rounds: int = ROUNDS) -> dict:
    """Each page ``rounds`` times: DOMContentLoaded (test side and browser), HTML bytes, and
    the time until layers after load are in (None: the page has none); a page that takes
    over ``TIMEOUT_MS`` is written down as such."""
    from playwright.sync_api import TimeoutError as PageTimeout

    results: dict[str, dict] = {}
    for url in pages:
        try:
            results[url + label] = open_page(page, base, url, rounds)
        except PageTimeout:
            results[url + label] = {"status": f"no DOMContentLoaded in {TIMEOUT_MS / 1000:g} s",
                                    "under_1s": False}
        print(f"{url}{label}: {results[url + label]}", flush=True)
    return results


def open_page(page: Any, base: str, url: str, rounds: int) -> dict:
    timer, browser_ms, layers_ms, status, size = [], [], [], None, 0
    for _ in range(rounds):
        started = time.perf_counter()
        answer = page.goto(f"{base}{url}", wait_until="domcontentloaded", timeout=TIMEOUT_MS)
        timer.append((time.perf_counter() - started) * 1000)
        browser_ms.append(float(page.evaluate(NAV_MS)))
        if page.evaluate(LAYERS_STATE) is not None:
            page.wait_for_function(LAYERS_DONE, timeout=TIMEOUT_MS)
            layers_ms.append((time.perf_counter() - started) * 1000)
        status = answer.status if answer else None
        size = len(answer.body()) if answer else 0
    return {"status": status, "html_bytes": size, "cold_ms": round(timer[0], 1),
            "median_ms": round(statistics.median(timer), 1),
            "browser_median_ms": round(statistics.median(browser_ms), 1),
            "layers_median_ms": round(statistics.median(layers_ms), 1) if layers_ms else None,
            "under_1s": statistics.median(timer) < TARGET_MS}


def measure(base: str, key: str, pages: list[str], engine: Engine) -> tuple[dict, dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                   "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.route("**/*", lambda route, request: route.continue_()
                      if urlsplit(request.url).hostname in ("127.0.0.1", None)
                      else route.abort())
        page = context.new_page()
        page.goto(f"{base}/map/login", wait_until="load")
        page.fill("#key", key)
        with page.expect_navigation(wait_until="load"):
            page.click("button[type=submit]")
        results = open_pages(page, base, pages)
        sizes = grow(engine)
        print(f"grown: {sizes}", flush=True)
        grown = open_pages(page, base, GROWN, " (+data)", rounds=1)
        browser.close()
    return results, {"rows_after": sizes, "added": GROW, "pages": grown}


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_pages")
    log = Path(tempfile.mkdtemp(prefix="bench-pages-")) / "server.log"
    try:
        key, pages = prepare(engine)
        with server(ours_command(), engine, log) as base:
            pages_ms, grown = measure(base, key, pages, engine)
    finally:
        dbs.drop_database(settings, engine)
    answered = [r for r in pages_ms.values() if r["status"] == 200]
    report = {"what": "DOMContentLoaded per page, headless Chromium, demo district (seed 42), "
                      "gzip on, logged in as admin",
              "timer": "time.perf_counter around page.goto(wait_until='domcontentloaded')",
              "rounds": ROUNDS, "target_ms": TARGET_MS, "pages": pages_ms,
              "all_under_1s": all(r["under_1s"] for r in answered),
              "grown": grown, "loadavg": os.getloadavg()}
    OUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written {OUT}", flush=True)
    return report


if __name__ == "__main__":
    main()
