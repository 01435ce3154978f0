"""What every browser test shares: a live uvicorn in a thread, and an offline browser page.

Every request a page makes to a host other than loopback is blocked and recorded (the pages
must run on intranets with no internet); failed responses and page errors are recorded too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.access import keys
from gis.core.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

PYTESTMARK = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(scripts/install-sysdeps.sh --test installs it)"),
]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_demo_with_key(engine: Engine, settings: Settings, *, role: str,
                        label: str) -> Iterator[tuple[str, str]]:
    """A live gridmap over ``engine``'s database and a fresh ``role`` key: yields
    (base URL, key); the key is deleted afterwards (by its ``label``)."""
    from api.main import create_app
    from tests import dbs

    with Session(engine) as session:
        key = keys.create_key(session, role=role, label=label)
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, settings))) as url:
            yield url, key
    finally:
        with Session(engine) as session:
            session.execute(text("DELETE FROM api_key WHERE label = :label"), {"label": label})
            session.commit()


class Offline:
    """Blocks and records every request to a non-loopback host; records failures too."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

    def route(self, route, request) -> None:  # type: ignore[no-untyped-def]
        host = urlsplit(request.url).hostname or ""
        if request.url.startswith(("data:", "blob:", "about:")) or host in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(request.url)
            route.abort()

    def response(self, response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


@contextmanager
def offline_page(browser, *, width: int = 1280,  # type: ignore[no-untyped-def]
                 height: int = 800) -> Iterator[tuple[object, Offline]]:
    """A fresh browser context and page with every outside request blocked; on exit, fails
    the test if the page tried to reach another host."""
    offline = Offline()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.route("**/*", offline.route)
    page = context.new_page()
    page.on("response", offline.response)
    page.on("pageerror", lambda exc: offline.errors.append(str(exc)))
    try:
        yield page, offline
    finally:
        context.close()
    assert offline.blocked == [], f"the page tried to reach other hosts: {offline.blocked}"


MAP_OBJECT = "Object.values(window).find(v => v instanceof L.Map)"
"""JavaScript for the page's Leaflet map (folium names it with a random id)."""


def popup_after_click(page, lat: float, lon: float) -> str:  # type: ignore[no-untyped-def]
    """Click the map at ``lat``/``lon`` (EPSG:4326) and return the popup's text."""
    point = page.evaluate("(() => { const m = " + MAP_OBJECT + ";"
                          f"const p = m.latLngToContainerPoint([{lat}, {lon}]);"
                          "const r = m.getContainer().getBoundingClientRect();"
                          "return [p.x + r.left, p.y + r.top]; })()")
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    return str(popup.inner_text())
