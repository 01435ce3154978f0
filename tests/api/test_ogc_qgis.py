"""QGIS's own OAPIF provider (Debian's QGIS 3.22: python3-qgis + qgis-providers, headless)
reads every collection of a live gridmap over the demo district, keyed ones through the
provider's user name and password (HTTP Basic), and what it sees equals PostGIS: the features
with their Chinese labels, geometry types, extents and coordinates (CRS84: QGIS 3.22 reads
OGC API Features in CRS84 only, it has no ``crs`` choice), a bbox-restricted request and
subset strings (a ``datetime`` one QGIS hands to the server, attribute ones it evaluates).

QGIS runs in Debian's /usr/bin/python3 (the virtualenv cannot import qgis) as
tests/api/qgis_read.py, once for all the reads, and answers JSON.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api import ogc
from gis.core.settings import Settings
from tests.e2e.live import serve_demo_with_key

SYSTEM_PYTHON = "/usr/bin/python3"
READER = Path(__file__).with_name("qgis_read.py")


def _has_qgis() -> bool:
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('qgis') is None)"
    try:
        return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True,
                              timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = pytest.mark.skipif(
    not _has_qgis(), reason="needs Debian's QGIS for /usr/bin/python3 (python3-qgis and "
                            "qgis-providers; scripts/install-sysdeps.sh --test, run by "
                            "make test, installs them)")

SOURCES = {  # collection -> (table, the rows it serves, the attribute compared as text)
    "grids": ("grid", "theme = 'unified' AND valid_to IS NULL", "name"),
    "regions": ("region", "TRUE", "name"),
    "facilities": ("facility", "TRUE", "name"),
    "facility_areas": ("facility", "ST_Dimension(geom) = 2", "name"),
    "buildings": ("building", "TRUE", "address"),
    "events": ("event", "gm_event_open(status)", "address"),
}
GEOMETRY = {"grids": "MultiPolygon", "regions": "MultiPolygon", "facilities": "Point",
            "facility_areas": "Polygon", "buildings": "MultiPolygon", "events": "Point"}
BOX = (119.20, 34.58, 119.23, 34.60)
SINCE, UNTIL = "2026-10-01T00:00:00Z", "2026-06-01T00:00:00Z"


def _reads(community: str) -> dict[str, dict[str, Any]]:
    """What QGIS is asked to read, by a name of this test's."""
    reads: dict[str, dict[str, Any]] = {
        cid: {"collection": cid, "keyed": ogc.COLLECTIONS[cid].keyed} for cid in SOURCES}
    reads["grids in box"] = {"collection": "grids", "rect": list(BOX), "restrict": True}
    reads["buildings of a community"] = {
        "collection": "buildings", "keyed": True,
        "subset": f"\"community_code\" = '{community}'"}
    reads["noise events since"] = {
        "collection": "events", "keyed": True,
        "subset": f"\"reported_at\" >= '{SINCE}' AND \"category\" = 'noise'"}
    reads["events until"] = {"collection": "events", "keyed": True,
                             "subset": f"\"reported_at\" <= '{UNTIL}'"}
    for read in reads.values():
        read["label"] = SOURCES[read["collection"]][2]
    return reads


@pytest.fixture(scope="module")
def seen(demo_engine: Engine, base_settings: Settings) -> Iterator[dict[str, dict[str, Any]]]:
    """Every read's result as QGIS reports it, from one QGIS run against a live gridmap."""
    with Session(demo_engine) as session:
        reads = _reads(_community(session))
    with serve_demo_with_key(demo_engine, base_settings, role="viewer",
                             label="qgis test") as (url, key):
        job = {"url": f"{url}/ogc", "user": "qgis", "password": key,
               "reads": list(reads.values())}
        done = subprocess.run(
            [SYSTEM_PYTHON, str(READER)], input=json.dumps(job), capture_output=True,
            text=True, timeout=240, check=False,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["version"].startswith("3."), answer["version"]
    yield dict(zip(reads, answer["reads"], strict=True))


def _community(session: Session) -> str:
    return str(session.scalar(text("SELECT min(community_code) FROM building")))


def _postgis(session: Session, collection: str, sql: str, where: str = "TRUE",
             **params: object) -> list[Any]:
    """``sql`` (columns) over the rows ``collection`` serves and ``where``."""
    table, serves, _ = SOURCES[collection]
    return list(session.execute(text(f"SELECT {sql} FROM {table} WHERE {serves} AND {where}"),
                                params).all())


def _labels(result: dict[str, Any]) -> dict[str, str | None]:
    assert result["valid"] and "error" not in result, result.get("error")
    return {code: feature["label"] for code, feature in result["features"].items()}


CJK = re.compile("[\u4e00-\u9fff]")


@pytest.mark.parametrize("collection", list(SOURCES))
def test_qgis_reads_each_collection_whole(seen: dict[str, dict[str, Any]],
                                          demo_session: Session, collection: str) -> None:
    """Same features with the same Chinese names or addresses, character for character."""
    label = SOURCES[collection][2]
    expected = dict(_postgis(demo_session, collection, f"code, {label}"))
    assert _labels(seen[collection]) == expected
    assert any(CJK.search(text_ or "") for text_ in expected.values())


@pytest.mark.parametrize("collection", list(SOURCES))
def test_qgis_geometry_type_is_the_advertised_one(seen: dict[str, dict[str, Any]],
                                                  collection: str) -> None:
    assert seen[collection]["geometry"] == GEOMETRY[collection]
    assert ogc.COLLECTIONS[collection].geometry == GEOMETRY[collection]


@pytest.mark.parametrize("collection", list(SOURCES))
def test_qgis_places_features_where_postgis_has_them(seen: dict[str, dict[str, Any]],
                                                     demo_session: Session,
                                                     collection: str) -> None:
    """CRS84, lon/lat: the layer's CRS, its extent (the collection's advertised one) and
    every feature's first vertex equal PostGIS's EPSG:4490 lon/lat (the two datums agree
    to centimetres; gridmap does not shift them). Facilities: the ones stored as points."""
    result = seen[collection]
    assert result["crs"] == "EPSG:4326"
    extent = ", ".join(f"ST_{m}(ST_Extent(geom))" for m in ("XMin", "YMin", "XMax", "YMax"))
    (box,) = _postgis(demo_session, collection, extent)
    assert result["extent"] == pytest.approx(list(box), abs=1e-9)
    first = "ST_X(ST_GeometryN(ST_Points(geom), 1)), ST_Y(ST_GeometryN(ST_Points(geom), 1))"
    where = "ST_Dimension(geom) = 0" if collection == "facilities" else "TRUE"
    expected = {code: None if x is None else pytest.approx((x, y), abs=1e-9)
                for code, x, y in _postgis(demo_session, collection, f"code, {first}", where)}
    got = {code: feature["xy"] and tuple(feature["xy"])
           for code, feature in result["features"].items() if code in expected}
    assert got == expected and any(xy is not None for xy in expected.values())


def test_qgis_bbox_request_agrees_with_postgis(seen: dict[str, dict[str, Any]],
                                               demo_session: Session) -> None:
    """A layer restricted to the request's box: QGIS asks gridmap with ``bbox`` and keeps
    what intersects the box, as ST_Intersects does."""
    expected = _postgis(demo_session, "grids", "code",
                        "ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4490))",
                        **dict(zip("abcd", BOX, strict=True)))
    codes = sorted(_labels(seen["grids in box"]))
    assert codes == sorted(code for (code,) in expected) and codes
    assert len(codes) < len(seen["grids"]["features"])


def test_qgis_attribute_subset_agrees_with_postgis(seen: dict[str, dict[str, Any]],
                                                   demo_session: Session) -> None:
    expected = _postgis(demo_session, "buildings", "code", "community_code = :c",
                        c=_community(demo_session))
    codes = sorted(_labels(seen["buildings of a community"]))
    assert codes == sorted(code for (code,) in expected) and codes


@pytest.mark.parametrize(("read", "where", "moment"), [
    pytest.param("noise events since", "reported_at >= :t AND category = 'noise'", SINCE,
                 id="since-and-category"),
    pytest.param("events until", "reported_at <= :t", UNTIL, id="until")])
def test_qgis_datetime_subset_agrees_with_postgis(seen: dict[str, dict[str, Any]],
                                                  demo_session: Session, read: str,
                                                  where: str, moment: str) -> None:
    """QGIS 3.22 sends a comparison on a date field to the server as ``datetime`` with
    0000-01-01 or 9999-12-31 for the open end; gridmap takes those ends as open."""
    expected = _postgis(demo_session, "events", "code", where, t=moment)
    codes = sorted(_labels(seen[read]))
    assert codes == sorted(code for (code,) in expected) and codes
