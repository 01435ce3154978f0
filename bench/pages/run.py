"""Benchmark: every page's DOMContentLoaded in Chromium on the demo district (target < 1 s).

A throw-away database with the demo (seed 42), ``gridmap serve`` as a subprocess on a free
loopback port, Debian's headless Chromium driven by Playwright, every outside request
blocked. The browser logs in once with an admin key (the session cookie), then opens each
page ROUNDS times; the test-side timer is ``time.perf_counter`` around ``page.goto(...,
wait_until="domcontentloaded")`` (request sent to DOMContentLoaded fired), next to the
browser's own ``domContentLoadedEventEnd`` of the Navigation Timing API. The first visit is
cold (assets not cached yet). Writes bench/results/pages.json. Not a test: numbers vary with
the machine's load.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
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
             "/map/dispatch", "/map/dispatch/list", f"/map/plans/{plan}",
             f"/map/qa?scope={COMMUNITY}", "/map/cockpit", "/m", "/docs", "/redoc"]
    return key, pages


def measure(base: str, key: str, pages: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
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
        for url in pages:
            timer, browser_ms, status = [], [], None
            for _ in range(ROUNDS):
                started = time.perf_counter()
                answer = page.goto(f"{base}{url}", wait_until="domcontentloaded")
                timer.append((time.perf_counter() - started) * 1000)
                browser_ms.append(float(page.evaluate(NAV_MS)))
                status = answer.status if answer else None
            results[url] = {"status": status, "cold_ms": round(timer[0], 1),
                            "median_ms": round(statistics.median(timer), 1),
                            "browser_median_ms": round(statistics.median(browser_ms), 1),
                            "under_1s": statistics.median(timer) < TARGET_MS}
            print(f"{url}: {results[url]}", flush=True)
        browser.close()
    return results


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_pages")
    log = Path(tempfile.mkdtemp(prefix="bench-pages-")) / "server.log"
    try:
        key, pages = prepare(engine)
        with server(ours_command(), engine, log) as base:
            pages_ms = measure(base, key, pages)
    finally:
        dbs.drop_database(settings, engine)
    answered = [r for r in pages_ms.values() if r["status"] == 200]
    report = {"what": "DOMContentLoaded per page, headless Chromium, demo district (seed 42), "
                      "gzip on, logged in as admin",
              "timer": "time.perf_counter around page.goto(wait_until='domcontentloaded')",
              "rounds": ROUNDS, "target_ms": TARGET_MS, "pages": pages_ms,
              "all_under_1s": all(r["under_1s"] for r in answered),
              "loadavg": os.getloadavg()}
    out = ROOT / "bench" / "results" / "pages.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written {out}", flush=True)
    return report


if __name__ == "__main__":
    main()
