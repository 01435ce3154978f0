"""GDAL's OAPIF driver (Debian's gdal-bin, a client nobody here wrote) reads every collection
of a live gridmap over the demo district, keyed ones through HTTP Basic, and its counts, bbox
and attribute-filter results equal PostGIS's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core.settings import Settings
from tests.e2e.live import serve_demo_with_key

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None,
                                reason="needs Debian's gdal-bin (make test installs it)")
COUNTS = {
    "grids": "SELECT count(*) FROM grid WHERE theme = 'unified' AND valid_to IS NULL",
    "regions": "SELECT count(*) FROM region",
    "facilities": "SELECT count(*) FROM facility",
    "facility_areas": "SELECT count(*) FROM facility WHERE ST_Dimension(geom) = 2",
    "buildings": "SELECT count(*) FROM building",
    "events": "SELECT count(*) FROM event WHERE gm_event_open(status)",
}
BOX = (119.20, 34.58, 119.23, 34.60)


@pytest.fixture(scope="module")
def live(demo_engine: Engine, base_settings: Settings) -> Iterator[tuple[str, dict]]:
    """(OGC landing URL, GDAL environment with a viewer key by HTTP Basic)."""
    with serve_demo_with_key(demo_engine, base_settings, role="viewer",
                             label="gdal test") as (url, key):
        env = {**os.environ, "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"gdal:{key}",
               "CPL_DEBUG": "OFF", "GDAL_HTTP_TIMEOUT": "60"}
        yield f"{url}/ogc", env


def _ogr(args: list[str], env: dict) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _features(url: str, env: dict, collection: str, *extra: str) -> list[dict]:
    out = _ogr(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{url}", collection,
                "-oo", "PAGE_SIZE=1000", *extra], env)
    return json.loads(out)["features"]


def test_gdal_lists_every_collection(live: tuple[str, dict]) -> None:
    url, env = live
    listing = _ogr(["ogrinfo", "-ro", "-q", f"OAPIF:{url}"], env)
    for collection in COUNTS:
        assert collection in listing


@pytest.mark.parametrize("collection", list(COUNTS))
def test_gdal_reads_each_collection_whole(live: tuple[str, dict], demo_session: Session,
                                          collection: str) -> None:
    url, env = live
    features = _features(url, env, collection)
    assert len(features) == demo_session.scalar(text(COUNTS[collection]))


def test_gdal_bbox_and_filter_agree_with_postgis(live: tuple[str, dict],
                                                 demo_session: Session) -> None:
    url, env = live
    boxed = _features(url, env, "grids", "-spat", *map(str, BOX))
    expected = demo_session.scalars(text(
        "SELECT code FROM grid WHERE theme = 'unified' AND valid_to IS NULL "
        "AND ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4490)) ORDER BY code"),
        dict(zip("abcd", BOX, strict=True))).all()
    assert sorted(f["properties"]["code"] for f in boxed) == list(expected) and expected
    community = demo_session.scalar(text("SELECT min(community_code) FROM building"))
    where = _features(url, env, "buildings", "-where", f"community_code = '{community}'")
    assert len(where) == demo_session.scalar(text(
        "SELECT count(*) FROM building WHERE community_code = :c"), {"c": community})


def test_facilities_go_to_a_shapefile_whole(live: tuple[str, dict], demo_session: Session,
                                            tmp_path: Path) -> None:
    """A Shapefile holds one geometry type: the point collection goes there entirely."""
    url, env = live
    target = tmp_path / "facilities.shp"
    _ogr(["ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", str(target),
          f"OAPIF:{url}", "facilities"], env)
    info = _ogr(["ogrinfo", "-ro", "-so", "-al", str(target)], env)
    total = demo_session.scalar(text(COUNTS["facilities"]))
    assert f"Feature Count: {total}" in info and "Geometry: Point" in info
