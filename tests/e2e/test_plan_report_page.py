"""The printable plan report (/map/plans/{id}/report) in a real headless Chromium with no
network: both maps draw their grids with numbers, the tables show, the Excel link downloads
a workbook, and print media hides the page menu."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from api.main import create_app
from gis import plans
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.e2e.live import PYTESTMARK, offline_page, serve
from tests.plan_cases import make_lattice

pytestmark = PYTESTMARK


@pytest.fixture(scope="module")
def live_report(base_settings: Settings) -> Iterator[tuple[str, int, str]]:
    """(base URL, plan id, planner key): a committed balance plan of the lattice community."""
    engine = dbs.migrated_database(base_settings, "e2e_plan_report")
    with Session(engine) as session:
        community, _, _ = make_lattice(session)
        plan_id = plans.create_plan(session, kind="balance", scope_code=community,
                                    created_by="e2e").id
        key = keys.create_key(session, role="planner", region_code=community)
        session.commit()
    try:
        with serve(create_app(dbs.settings_for(engine, base_settings))) as url:
            yield url, plan_id, key
    finally:
        dbs.drop_database(base_settings, engine)


def test_the_report_prints_both_maps_and_downloads_excel(browser, live_report  # type: ignore[no-untyped-def]
                                                         ) -> None:
    url, plan_id, key = live_report
    with offline_page(browser, width=1366, height=768) as (page, offline):
        page.goto(f"{url}/map/plans/{plan_id}/report", wait_until="load")
        if "/map/login" in page.url:
            page.fill("#key", key)
            with page.expect_navigation(url=f"**/map/plans/{plan_id}/report", wait_until="load"):
                page.click("button[type=submit]")
        page.wait_for_selector(".gm-grid-label", timeout=15_000)
        assert page.locator(".leaflet-container").count() == 2
        labels = page.locator(".gm-grid-label").all_inner_texts()
        assert "#1" in labels and "#6" in labels  # the six proposed grids, numbered
        assert page.get_by_role("heading", name="各网格").is_visible()
        assert page.locator(".gm-report-body table").nth(1).locator("tr").count() == 1 + 6
        with page.expect_download() as download:
            page.get_by_role("link", name="下载 Excel (.xlsx)").click()
        assert download.value.suggested_filename == f"plan-{plan_id}-report.xlsx"
        book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert book.sheetnames[:3] == ["汇总", "网格", "拆分小区"]
        page.emulate_media(media="print")
        assert not page.locator(".gm-shell").is_visible()
        assert page.locator(".leaflet-container").first.is_visible()
        assert offline.errors == [], offline.errors
