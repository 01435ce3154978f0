"""The exchanged formats (KML/KMZ, DXF, FlatGeobuf, GeoParquet, MapInfo TAB, GML): each
round-trips through export and import with its Chinese text intact."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyarrow.parquet as pq
import pytest
import shapely
from sqlalchemy import text

from gis import io
from gis.core.errors import MalformedFile, PayloadTooLarge
from tests.gis.io.test_io_export import round_trip, seed
from tests.gis.iofiles import COMMUNITY, grid_frame, make_region, write

NEW_FORMATS = [".kml", ".kmz", ".fgb", ".parquet", ".tab", ".tab.zip", ".gml"]


@pytest.mark.parametrize("suffix", NEW_FORMATS)
@pytest.mark.parametrize("kind", ["grids", "buildings", "facilities"])
def test_new_formats_round_trip(session, tmp_path: Path, kind: str, suffix: str) -> None:
    seed(session, tmp_path, kind, suffix)
    if kind != "grids":
        session.execute(text("DELETE FROM grid_worker_grid"))
    round_trip(session, kind, tmp_path / f"export{suffix}")


def test_geoparquet_carries_geoparquet_1_1_metadata(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "grids", ".parquet")
    io.export_file(session, "grids", tmp_path / "g.parquet")
    geo = json.loads(pq.read_metadata(tmp_path / "g.parquet").metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["columns"][geo["primary_column"]]["crs"]["id"]["code"] == 4490


def test_mapinfo_tab_is_written_as_gbk_and_read_from_a_zip(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "grids", ".tab")
    io.export_file(session, "grids", tmp_path / "g.tab.zip")
    with zipfile.ZipFile(tmp_path / "g.tab.zip") as archive:
        names = sorted(archive.namelist())
        header = archive.read("grids.tab").decode("ascii")
    assert names == ["grids.dat", "grids.id", "grids.map", "grids.tab"]
    assert "WindowsSimpChinese" in header
    renamed = tmp_path / "upload.zip"  # an HTTP upload of the zip keeps only .zip
    renamed.write_bytes((tmp_path / "g.tab.zip").read_bytes())
    session.execute(text("DELETE FROM grid"))
    report = io.import_file(session, "grids", renamed)
    assert report.written == 3
    names_back = session.execute(text("SELECT name FROM grid ORDER BY code")).scalars().all()
    assert names_back == ["第1网格", "第2网格", "第3网格"]


def test_dxf_round_trip_keeps_code_and_name(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "grids", ".dxf")
    session.execute(text("UPDATE grid SET code = '东风01' WHERE code = 'G001'"))
    before = io.export_frame(session, "grids")
    io.export_file(session, "grids", tmp_path / "g.dxf")
    raw = (tmp_path / "g.dxf").read_bytes()
    assert b"ANSI_936" in raw and "东风01".encode("gb18030") in raw
    assert b"\\U+7b2c1\\U+7f51\\U+683c" in raw  # 第1网格 as DXF escapes
    session.execute(text("DELETE FROM grid"))
    report = io.import_file(session, "grids", tmp_path / "g.dxf", crs="EPSG:4490")
    assert (report.written, report.encoding) == (3, "GB18030 (detected)")
    after = io.export_frame(session, "grids")
    assert after["code"].tolist() == before["code"].tolist() == ["G002", "G003", "东风01"]
    assert after["name"].tolist() == ["第2网格", "第3网格", "第1网格"]
    assert (shapely.hausdorff_distance(before.geometry.values, after.geometry.values)
            < 1e-9).all()


def test_dxf_layers_chosen_by_option_and_mapping_file(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "grids", ".dxf")
    io.export_file(session, "grids", tmp_path / "g.dxf")
    session.execute(text("DELETE FROM grid"))
    report = io.import_file(session, "grids", tmp_path / "g.dxf", layer="G001,G003")
    assert report.written == 2
    session.execute(text("DELETE FROM grid"))
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"G002": {"code": "HZ-02", "name": "海州二网格",
                                            "theme": "party"}}, ensure_ascii=False),
                       encoding="utf-8")
    report = io.import_file(session, "grids", tmp_path / "g.dxf", dxf_map=mapping)
    assert report.written == 1
    row = session.execute(text("SELECT code, name, theme FROM grid")).one()
    assert tuple(row) == ("HZ-02", "海州二网格", "party")


def test_kml_from_ovital_without_code_takes_the_placemark_name(session, tmp_path: Path
                                                               ) -> None:
    """奥维互动地图 exports placemarks with a name and no ExtendedData code."""
    frame = grid_frame(2)[["name", "geometry"]].to_crs(4326)
    write(frame, tmp_path / "ovital.kml", driver="KML")
    report = io.import_file(session, "grids", tmp_path / "ovital.kml")
    assert report.written == 2
    rows = session.execute(text("SELECT code, name FROM grid ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("第1网格", "第1网格"), ("第2网格", "第2网格")]


def test_new_formats_keep_the_feature_limit(session, tmp_path: Path) -> None:
    limits = io.ImportLimits(max_features=2)
    for suffix, driver in ((".fgb", "FlatGeobuf"), (".kml", "KML"), (".gml", "GML")):
        path = write(grid_frame(3), tmp_path / f"g{suffix}", driver=driver)
        with pytest.raises(PayloadTooLarge, match="3 features"):
            io.import_file(session, "grids", path, limits=limits)
    grid_frame(3).to_parquet(tmp_path / "g.parquet")
    with pytest.raises(PayloadTooLarge, match="3 features"):
        io.import_file(session, "grids", tmp_path / "g.parquet", limits=limits)


def test_zipped_formats_keep_the_archive_limits(session, tmp_path: Path) -> None:
    limits = io.ImportLimits(max_archive_members=2)
    seed(session, tmp_path, "grids", ".tab.zip")
    io.export_file(session, "grids", tmp_path / "g.tab.zip")
    io.export_file(session, "grids", tmp_path / "g.kmz")
    with pytest.raises(PayloadTooLarge, match="GRIDMAP_MAX_ARCHIVE_MEMBERS"):
        io.import_file(session, "grids", tmp_path / "g.tab.zip", limits=limits)
    with zipfile.ZipFile(tmp_path / "nested.kmz", "w") as archive:
        archive.write(tmp_path / "g.tab.zip", "inner.zip")
    with pytest.raises(MalformedFile, match="archives inside"):
        io.import_file(session, "grids", tmp_path / "nested.kmz")


def test_export_all_writes_every_kind_into_one_geopackage(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "residents", ".csv")
    make_region(session, "320706000000", level="district")
    counts = io.export_all(session, tmp_path / "all.gpkg")
    layers = dict(gpd.list_layers(tmp_path / "all.gpkg").values)
    assert set(layers) == set(io.KINDS) and counts["residents"] == 2
    residents = gpd.read_file(tmp_path / "all.gpkg", layer="residents")
    assert "320706195001011234" not in residents["id_number"].tolist()
    assert residents.set_index("code").loc["R1", "name"] == "李*"
    grids = gpd.read_file(tmp_path / "all.gpkg", layer="grids")
    assert grids.crs.to_epsg() == 4490 and len(grids) == counts["grids"] == 3
    assert COMMUNITY in gpd.read_file(tmp_path / "all.gpkg", layer="regions")["code"].tolist()


def test_dxf_closed_polylines_with_labels_inside(session, tmp_path: Path) -> None:
    """A drawing as CAD users make it: outlines as closed polylines, labels as texts inside
    them, on one CAD layer per grid."""
    outlines = [shapely.box(119.2, 34.6, 119.21, 34.61), shapely.box(119.22, 34.6, 119.23, 34.61)]
    drawing = gpd.GeoDataFrame({
        "Layer": ["G1", "G2", "G1", "G2"],
        "OGR_STYLE": [None, None, 'LABEL(t:"东风一网格")', 'LABEL(t:"西湖二网格")']},
        geometry=[o.exterior for o in outlines] + [o.centroid for o in outlines], crs=4490)
    path = write(drawing, tmp_path / "survey.dxf", driver="DXF")
    report = io.import_file(session, "grids", path, crs="EPSG:4490")
    assert report.written == 2
    rows = session.execute(text("SELECT code, name, ST_GeometryType(geom) FROM grid "
                                "ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("G1", "东风一网格", "ST_MultiPolygon"),
                                        ("G2", "西湖二网格", "ST_MultiPolygon")]
