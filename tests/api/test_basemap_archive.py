"""``GRIDMAP_BASEMAP_URL=pmtiles://PATH``: gridmap serves the archive by byte ranges at
/map/basemap.pmtiles and the pages draw it with the PMTiles readers from /static."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from layers import assets, basemaps
from tests.basemap_archive import make_raster_archive

BOX = (119.20, 34.60, 119.22, 34.62)


def configure(client: TestClient, spec: str | None) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(
        update={"basemap_url": spec})


def test_no_archive_configured_is_a_404(client: TestClient, tmp_path: Path):
    answer = client.get(basemaps.ARCHIVE_URL)
    assert answer.status_code == 404 and "pmtiles://" in answer.json()["detail"]
    configure(client, f"pmtiles://{tmp_path}/missing.pmtiles")
    answer = client.get(basemaps.ARCHIVE_URL)
    assert answer.status_code == 404 and str(tmp_path) not in answer.text  # no path echoed


def test_archive_is_served_by_byte_ranges_and_drawn_by_the_pages(client: TestClient,
                                                                 tmp_path: Path):
    path = make_raster_archive(tmp_path / "base.pmtiles", BOX, zooms=range(12, 14))
    configure(client, f"pmtiles://{path}")
    whole = client.get(basemaps.ARCHIVE_URL)
    assert whole.status_code == 200 and whole.content == path.read_bytes()
    part = client.get(basemaps.ARCHIVE_URL, headers={"Range": "bytes=0-126"})
    assert part.status_code == 206 and part.content == path.read_bytes()[:127]
    assert part.content[:7] == b"PMTiles"
    page = client.get("/map").text
    assert f'<script src="{assets.PMTILES_JS}">' in page
    assert f'<script src="{assets.PROTOMAPS_LEAFLET_JS}">' in page
    assert f"new pmtiles.PMTiles(\"{basemaps.ARCHIVE_URL}\")" in page
    assert "L.tileLayer" not in page
