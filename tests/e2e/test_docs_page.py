"""/docs (Swagger UI) and /redoc (ReDoc) in a real headless Chromium, with no network.

Both pages must render from gridmap's own copies of their scripts, styles and favicon:
every request to a host other than loopback is blocked and fails the test, and so do page
errors, console errors and failed responses. The pages need no data, only the app.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.main import create_app
from gis.core.settings import Settings
from layers import assets
from tests.e2e.live import PYTESTMARK, offline_page, serve

pytestmark = [*PYTESTMARK, pytest.mark.skipif(
    not assets.has_api_docs_assets(),
    reason="Swagger UI and ReDoc come from npm: run `make install`")]


@pytest.fixture(scope="module")
def live_url(base_settings: Settings) -> Iterator[str]:
    with serve(create_app(base_settings)) as url:
        yield url


def _console_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_swagger_ui_lists_the_operations_offline(browser, live_url: str) -> None:  # type: ignore[no-untyped-def]
    with offline_page(browser) as (page, offline):
        console = _console_errors(page)
        page.goto(f"{live_url}/docs", wait_until="load")
        locate = page.locator(".opblock-summary-path[data-path='/api/v1/locate']")
        locate.wait_for(state="visible", timeout=15_000)
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("gridmap")
        assert page.locator(".opblock").count() > 50
        page.wait_for_load_state("networkidle")
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)
        assert console == []


def test_redoc_renders_the_reference_offline(browser, live_url: str) -> None:  # type: ignore[no-untyped-def]
    with offline_page(browser) as (page, offline):
        console = _console_errors(page)
        page.goto(f"{live_url}/redoc", wait_until="load")
        page.locator("h1", has_text="gridmap").wait_for(state="visible", timeout=30_000)
        page.locator("h2", has_text="Locate").first.wait_for(state="visible", timeout=15_000)
        page.wait_for_load_state("networkidle")
        assert offline.errors == [] and offline.failed == [], (offline.errors, offline.failed)
        assert console == []
