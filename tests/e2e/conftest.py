"""Browser fixtures: one headless Debian Chromium per test module (Playwright drives it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
