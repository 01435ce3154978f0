"""Basemaps through the app: ``GRIDMAP_BASEMAP_URL=pmtiles://PATH`` (gridmap serves the
archive by byte ranges at /map/basemap.pmtiles, the pages draw it with the PMTiles readers
from /static), and 高德 (the overview embeds the stored shapes shifted to GCJ-02)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gis.core import crs
from layers import assets, basemaps
from tests.basemap_archive import make_raster_archive
from tests.layers.scene import EAST, MID, NORTH, WEST, make_scene
from tests.layers.test_base_map import seen_over_http

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


PAIR = re.compile(r"\[(1[01]\d\.\d+), ?([23]\d\.\d+)\]")  # compact JSON too


def lonlat_pairs(page: str) -> np.ndarray:
    """Every [lon, lat] pair of the page's embedded GeoJSON (the scene is near 119.2, 34.6)."""
    return np.array([(float(x), float(y)) for x, y in PAIR.findall(page)])


def nearest(pairs: np.ndarray, lon: float, lat: float) -> float:
    return float(np.abs(pairs - (lon, lat)).max(axis=1).min())


def test_amap_overview_embeds_the_stored_shapes_shifted_to_gcj02(client: TestClient,
                                                                 session: Session):
    make_scene(session)
    configure(client, "amap")
    pairs = lonlat_pairs(seen_over_http(client, "/map"))
    assert len(pairs) > 10
    corners = [(WEST, MID), (EAST, MID), (EAST, NORTH), (WEST, NORTH),  # grid BIG
               (119.205, 34.612), (119.207, 34.614), (119.212, 34.615)]  # B-N1, clinic
    for lon, lat in corners:
        gx, gy = (float(v) for v in crs.wgs84_to_gcj02(lon, lat))
        assert nearest(pairs, gx, gy) < 2e-6, (lon, lat)
        assert nearest(pairs, lon, lat) > 1e-3  # nothing is left where it is stored
    configure(client, None)
    plain = lonlat_pairs(seen_over_http(client, "/map"))
    assert all(nearest(plain, lon, lat) < 2e-6 for lon, lat in corners)
