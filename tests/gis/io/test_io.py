"""Import: every format, CRS handling, checks and repairs, the report, all-or-nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from gis import io
from gis.core import crs
from gis.core.errors import ImportRejected, InvalidInput, MalformedFile, UnknownCRS
from tests.gis.iofiles import (
    COMMUNITY,
    LAT,
    LON,
    building_frame,
    cell,
    facility_frame,
    grid_frame,
    make_building,
    make_grid,
    make_region,
    write,
)

FORMATS = [".geojson", ".gpkg", ".shp.zip", ".zip", ".csv"]


def stored(session, table: str = "grid") -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    return gpd.read_postgis(text(f"SELECT *, ST_GeometryType(geom) AS gtype, ST_SRID(geom) "
                                 f"AS srid FROM {table} ORDER BY code"), session.connection(),
                            geom_col="geom")


def rejected(exc: pytest.ExceptionInfo[ImportRejected]) -> dict[int, str]:
    return {r["row"]: r["reason"] for r in exc.value.details["report"]["rows"]
            if r["status"] == "rejected"}


@pytest.mark.parametrize("suffix", FORMATS)
def test_grids_import_from_every_format(session, tmp_path: Path, suffix: str) -> None:
    make_region(session)
    frame = grid_frame(3, community_code=COMMUNITY)
    report = io.import_file(session, "grids", write(frame, tmp_path / f"grids{suffix}"))
    assert (report.read, report.accepted, report.repaired, report.rejected) == (3, 3, 0, 0)
    assert report.written == 3
    rows = stored(session)
    assert rows["code"].tolist() == ["G001", "G002", "G003"]
    assert set(rows["gtype"]) == {"ST_MultiPolygon"} and set(rows["srid"]) == {4490}
    assert rows["locked"].tolist() == [True, False, False]
    assert rows["community_code"].tolist() == [COMMUNITY] * 3
    assert rows["name"].tolist() == frame["name"].tolist()
    assert np.allclose(shapely.area(rows.geometry.values), shapely.area(frame.geometry.values),
                       rtol=1e-9)


@pytest.mark.parametrize("epsg", [4549, 4528])  # CGCS2000 GK zone 120°E, without/with prefix
def test_projected_cgcs2000_geopackage_is_reprojected_to_4490(session, tmp_path: Path,
                                                              epsg: int) -> None:
    frame = grid_frame(2)
    path = write(frame.to_crs(epsg), tmp_path / "projected.gpkg")
    report = io.import_file(session, "grids", path)
    assert report.source_crs == f"EPSG:{epsg}" and report.written == 2
    rows = stored(session)
    assert set(rows["srid"]) == {4490}
    assert shapely.hausdorff_distance(rows.geometry.values, frame.geometry.values).max() < 1e-7


def test_projected_file_without_crs_is_rejected_until_crs_is_given(session,
                                                                   tmp_path: Path) -> None:
    frame = grid_frame(2).to_crs(4549)
    path = write(frame.set_crs(None, allow_override=True), tmp_path / "metres.csv")
    with pytest.raises(ImportRejected) as exc:
        io.import_file(session, "grids", path)
    assert all("outside China" in r and "--crs" in r for r in rejected(exc).values())
    assert io.import_file(session, "grids", path, crs="EPSG:4549").written == 2


def _shifted(frame: gpd.GeoDataFrame, forward) -> gpd.GeoDataFrame:  # type: ignore[no-untyped-def]
    out = frame.copy()
    out.geometry = shapely.transform(frame.geometry.values,
                                     lambda xy: np.column_stack(forward(xy[:, 0], xy[:, 1])))
    return out


def test_gcj02_polygons_are_converted_vertex_by_vertex(session, tmp_path: Path) -> None:
    frame = grid_frame(3)
    path = write(_shifted(frame, crs.wgs84_to_gcj02), tmp_path / "amap.geojson")
    report = io.import_file(session, "grids", path, crs="gcj02")
    assert report.source_crs == "gcj02" and report.written == 3
    rows = stored(session)
    assert shapely.hausdorff_distance(rows.geometry.values, frame.geometry.values).max() < 1e-8
    # without --crs the same file lands hundreds of metres off: the conversion matters
    shifted = _shifted(frame, crs.wgs84_to_gcj02)
    assert shifted.to_crs(4549).geometry.hausdorff_distance(frame.to_crs(4549)).min() > 100


def test_bd09_points_from_csv(session, tmp_path: Path) -> None:
    frame = facility_frame().iloc[:2]
    path = write(_shifted(frame, crs.wgs84_to_bd09), tmp_path / "baidu.csv")
    assert io.import_file(session, "facilities", path, crs="bd09").written == 2
    rows = stored(session, "facility")
    assert shapely.distance(rows.geometry.values, frame.geometry.values).max() < 1e-8


def test_unknown_crs_string_is_refused(session, tmp_path: Path) -> None:
    path = write(grid_frame(1), tmp_path / "g.geojson")
    with pytest.raises(UnknownCRS, match="gcj02"):
        io.import_file(session, "grids", path, crs="EPSG:999999")
    with pytest.raises(UnknownCRS):
        io.import_file(session, "grids", path, crs="amap-ish")


def test_bowtie_is_rejected_and_nothing_is_written(session, tmp_path: Path) -> None:
    frame = grid_frame(3)
    x, y = LON + 0.02, LAT
    frame.loc[1, "geometry"] = shapely.Polygon([(x, y), (x + 0.004, y + 0.004),
                                                (x + 0.004, y), (x, y + 0.004)])
    path = write(frame, tmp_path / "bowtie.gpkg")
    with pytest.raises(ImportRejected, match="1 of 3 rows") as exc:
        io.import_file(session, "grids", path)
    reasons = rejected(exc)
    assert list(reasons) == [2] and "Self-intersection" in reasons[2]
    assert stored(session).empty
    report = io.import_file(session, "grids", path, keep_good=True)
    assert (report.read, report.accepted, report.rejected, report.written) == (3, 2, 1, 2)
    assert stored(session)["code"].tolist() == ["G001", "G003"]


def test_small_self_intersection_is_repaired(session, tmp_path: Path) -> None:
    frame = grid_frame(2)
    x, y, s = LON + 0.02, LAT, 0.004  # a square with a zero-width spike on its top edge
    frame.loc[0, "geometry"] = shapely.Polygon([(x, y), (x + s, y), (x + s, y + s),
                                                (x + s / 2, y + s), (x + s / 2, y + 1.5 * s),
                                                (x + s / 2, y + s), (x, y + s)])
    assert not frame.geometry.iloc[0].is_valid
    report = io.import_file(session, "grids", write(frame, tmp_path / "spike.geojson"))
    assert (report.accepted, report.repaired, report.rejected, report.written) == (1, 1, 0, 2)
    assert report.rows[0].status == "repaired" and "Self-intersection" in report.rows[0].reason
    rows = stored(session)
    assert rows.is_valid.all() and rows.geometry.iloc[0].area == pytest.approx(s * s)


def test_swapped_and_outside_china_points_are_rejected(session, tmp_path: Path) -> None:
    frame = facility_frame()
    frame.loc[0, "geometry"] = shapely.Point(LAT, LON)  # lat, lon
    frame.loc[1, "geometry"] = shapely.Point(2.35, 48.85)  # Paris
    with pytest.raises(ImportRejected) as exc:
        io.import_file(session, "facilities", write(frame, tmp_path / "f.geojson"))
    reasons = rejected(exc)
    assert "swapped" in reasons[1] and "outside China" in reasons[2] and 3 not in reasons


def test_swapped_lonlat_csv_columns(session, tmp_path: Path) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text("code,name,type,latitude,longitude\n"
                    f"F1,卫生站,clinic,{LON},{LAT}\nF2,避难所,shelter,{LAT},{LON}\n",
                    encoding="utf-8")
    report = io.import_file(session, "facilities", path, keep_good=True)
    assert report.rejected == 1 and "swapped" in report.rows[0].reason and report.written == 1


def test_codes_duplicated_in_file_and_against_the_database(session, tmp_path: Path) -> None:
    make_grid(session, "G900")
    make_grid(session, "G001", theme="party")  # same code, other theme: no clash
    frame = grid_frame(4)
    frame.loc[3, "code"] = "G001"
    frame.loc[2, "code"] = "G900"
    with pytest.raises(ImportRejected) as exc:
        io.import_file(session, "grids", write(frame, tmp_path / "dups.geojson"))
    reasons = rejected(exc)
    assert "duplicate code 'G001' in the file (rows 1, 4)" in reasons[1]
    assert reasons[4] == reasons[1]
    assert "'G900': it already exists" in reasons[3] and 2 not in reasons


def test_missing_values_and_unknown_choices(session, tmp_path: Path) -> None:
    frame = grid_frame(4)
    frame.loc[0, "code"] = None
    frame.loc[1, "name"] = " "
    frame.loc[2, "theme"] = "blue"
    frame.loc[3, "kind"] = "Commercial"  # case does not matter
    report = io.import_file(session, "grids", write(frame, tmp_path / "m.gpkg"),
                            keep_good=True)
    reasons = {r.row: r.reason for r in report.rows}
    assert reasons[1] == "missing code"
    assert reasons[2] == "missing required field 'name'"
    assert reasons[3].startswith("unknown theme 'blue': use one of unified")
    assert report.written == 1 and stored(session)["kind"].tolist() == ["commercial"]


def test_wrong_and_empty_geometry(session, tmp_path: Path) -> None:
    frame = grid_frame(3)
    frame.loc[0, "geometry"] = shapely.Point(LON, LAT)
    frame.loc[1, "geometry"] = None
    with pytest.raises(ImportRejected) as exc:
        io.import_file(session, "grids", write(frame, tmp_path / "types.geojson"))
    reasons = rejected(exc)
    assert reasons[1] == "wrong geometry type: Point, expected Polygon or MultiPolygon"
    assert reasons[2].startswith("empty or unreadable geometry")


def test_unknown_references_are_rejected(session, tmp_path: Path) -> None:
    make_region(session)
    frame = grid_frame(2, community_code=COMMUNITY)
    frame.loc[1, "community_code"] = "320706099999"
    with pytest.raises(ImportRejected) as exc:
        io.import_file(session, "grids", write(frame, tmp_path / "g.geojson"))
    assert rejected(exc) == {2: "unknown region '320706099999' in community_code"}
    buildings = building_frame(2, grid_code="G404")
    with pytest.raises(ImportRejected, match="unknown grid 'G404' in grid_code"):
        io.import_file(session, "buildings", write(buildings, tmp_path / "b.gpkg"))


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad.zip", b"PK\x03\x04 not really a zip", "not a valid zip"),
    ("garbage.geojson", b"\x00\x01garbage{{{", "could not be read as GeoJSON"),
    ("garbage.gpkg", b"SQLite format 2 nope", "GeoPackage"),
    ("empty.geojson", b"", "empty"),
    ("table.xlsx", b"whatever", "unknown file type '.xlsx'"),
    ("nocoords.csv", "code,name\nG1,一网格\n".encode(), "no coordinates"),
    ("nothing.geojson", b'{"type":"FeatureCollection","features":[]}', "holds no rows"),
])
def test_malformed_files(session, tmp_path: Path, name: str, content: bytes,
                         message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(MalformedFile, match=message):
        io.import_file(session, "grids", tmp_path / name)


def test_zip_without_shapefile(session, tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no shapes here")
    with pytest.raises(MalformedFile, match=r"no \.shp file \(found: readme.txt\)"):
        io.import_file(session, "grids", path)


def test_unknown_kind(session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown kind 'parcels'"):
        io.import_file(session, "parcels", write(grid_frame(1), tmp_path / "g.geojson"))


def test_gbk_csv_and_extra_columns_are_reported(session, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(f"code,name,type,备注,lng,lat\nF1,卫生站,clinic,旧,{LON},{LAT}\n"
                     .encode("gb18030"))
    report = io.import_file(session, "facilities", path)
    assert report.written == 1 and report.ignored_columns == ["备注"]
    assert stored(session, "facility")["name"].tolist() == ["卫生站"]


def test_people_kinds_resolve_references_and_lists(session, tmp_path: Path) -> None:
    make_grid(session, "G900")
    make_grid(session, "G901")
    make_building(session, "B900")
    (tmp_path / "w.csv").write_text("code,name,role,phone,grid_codes\n"
                                    "W1,张网格,full_time,13800000001,G900、G901\n",
                                    encoding="utf-8")
    report = io.import_file(session, "grid_workers", tmp_path / "w.csv")
    assert report.written == 1 and report.extra["grid_links"] == 2
    (tmp_path / "h.csv").write_text("code,building_code,unit,room,head_name,phone,size\n"
                                    "H1,B900,1,101,李四,13900000000,3\n", encoding="utf-8")
    assert io.import_file(session, "households", tmp_path / "h.csv").written == 1
    (tmp_path / "r.csv").write_text(
        "code,household_code,name,id_number,gender,birth_date,categories\n"
        "R1,H1,李四,320706195001011234,男,1950-01-01,\"elderly_alone,party_member\"\n"
        "R2,H9,王五,,女,1990-02-03,\n"
        "R3,H1,赵六,,X,not a date,astronaut\n", encoding="utf-8")
    report = io.import_file(session, "residents", tmp_path / "r.csv", keep_good=True)
    reasons = {r.row: r.reason for r in report.rows}
    assert report.written == 1 and reasons[2] == "unknown household 'H9' in household_code"
    assert reasons[3].startswith("unknown gender 'X'")
    row = session.execute(text("SELECT r.gender, r.birth_date::text, r.categories, "
                               "b.code FROM resident r JOIN building b ON b.id = "
                               "r.building_id")).one()
    assert tuple(row) == ("M", "1950-01-01", ["elderly_alone", "party_member"], "B900")


def test_events_without_location_need_one_and_located_ones_are_reported(
        session, tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(
        "code,category,channel,address,reported_at,lon,lat\n"
        f"E1,垃圾堆放,12345,,2026-05-01 08:30,{LON + 0.001},{LAT + 0.001}\n"
        "E2,占道经营,patrol,幸福路3号,2026-05-01T09:00:00+08:00,,\n"
        "E3,噪音扰民,patrol,,,,\n", encoding="utf-8")
    io.import_file(session, "grids", write(grid_frame(1), tmp_path / "g.geojson"))
    report = io.import_file(session, "events", tmp_path / "e.csv", keep_good=True)
    assert (report.written, report.rejected) == (2, 1)
    assert "no location" in report.rows[0].reason
    assert report.extra["assigned"] == 1  # gis.grids.assign.assign_events ran on the new events
    rows = session.execute(text("SELECT e.code, status, reported_at AT TIME ZONE 'UTC', "
                                "g.code FROM event e LEFT JOIN grid g ON g.id = e.grid_id "
                                "ORDER BY e.code")).all()
    assert [(r[0], r[1], r[2].isoformat(), r[3]) for r in rows] == [
        ("E1", "reported", "2026-05-01T00:30:00", "G001"),
        ("E2", "needs_location", "2026-05-01T01:00:00", None)]
    due = session.execute(text("SELECT count(*) FROM event WHERE due_at > reported_at")).scalar()
    assert due == 2  # imported events get their category's time limit, so overdue works


def test_roads_go_to_the_walking_network(session, tmp_path: Path) -> None:
    lines = gpd.GeoDataFrame({"name": ["幸福路", "解放路"], "kind": ["residential"] * 2},
                             geometry=[shapely.LineString([(LON, LAT), (LON + 0.01, LAT)]),
                                       shapely.LineString([(LON + 0.005, LAT - 0.005),
                                                           (LON + 0.005, LAT + 0.005)])],
                             crs="EPSG:4490")
    report = io.import_file(session, "roads", write(lines, tmp_path / "roads.gpkg"))
    assert report.written == 2 and report.extra["edges"] == 4 and report.extra["nodes"] == 5


def test_roads_with_osm_node_ids_keep_their_topology(session, tmp_path: Path) -> None:
    """A bridge (its own OSM nodes 3-4) over a street (1-2) must not be joined to it."""
    lines = gpd.GeoDataFrame({"name": ["幸福路", "解放桥"], "kind": ["residential", "bridge"],
                              "u": [1, 3], "v": [2, 4]},
                             geometry=[shapely.LineString([(LON, LAT), (LON + 0.01, LAT)]),
                                       shapely.LineString([(LON + 0.005, LAT - 0.005),
                                                           (LON + 0.005, LAT + 0.005)])],
                             crs="EPSG:4490")
    report = io.import_file(session, "roads", write(lines, tmp_path / "osm.geojson"))
    assert report.written == 2 and report.extra["edges"] == 2 and report.extra["nodes"] == 4


def test_counts_always_add_up(session, tmp_path: Path) -> None:
    frame = pd.concat([grid_frame(5), grid_frame(2, prefix="H")], ignore_index=True)
    frame.loc[0, "geometry"] = shapely.Point(LON, LAT)
    frame.loc[2, "code"] = "G002"
    frame.loc[6, "geometry"] = cell(0).buffer(0).union(cell(30, 30))
    report = io.import_file(session, "grids", write(gpd.GeoDataFrame(frame, crs=4490),
                                                    tmp_path / "mix.gpkg"), keep_good=True)
    assert report.read == 7 == report.accepted + report.repaired + report.rejected
    assert report.written == report.accepted + report.repaired == len(stored(session))


def test_geopackage_layers_are_chosen_by_name(session, tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    write(grid_frame(2), path, layer="a")
    write(grid_frame(1, prefix="H"), path, layer="b")
    with pytest.raises(MalformedFile, match=r"several layers \(a, b\): choose one with --layer"):
        io.import_file(session, "grids", path)
    assert io.import_file(session, "grids", path, layer="b").written == 1
    write(grid_frame(3, prefix="K"), path, layer="grids")  # named after the kind: taken
    assert io.import_file(session, "grids", path).written == 3


def test_children_of_a_rejected_parent_are_rejected_too(session, tmp_path: Path) -> None:
    district, sub, community = "320706000000", "320706013000", "320706013001"
    frame = gpd.GeoDataFrame({
        "code": [community, sub, district, "320707000000"],
        "name": ["苍梧社区", "苍梧街道", "海州区", "赣榆区"],
        "level": ["community", "subdistrict", "district", "district"],
        "parent_code": [sub, district, None, None],
    }, geometry=[cell(0), cell(1), cell(2), cell(3)], crs="EPSG:4490")
    good = io.import_file(session, "regions", write(frame, tmp_path / "ok.geojson"))
    assert good.written == 4  # children listed before their parents: fine
    session.execute(text("DELETE FROM region WHERE level = 'community'"))
    session.execute(text("DELETE FROM region WHERE level = 'subdistrict'"))
    session.execute(text("DELETE FROM region"))
    frame.loc[2, "level"] = "country"
    report = io.import_file(session, "regions", write(frame, tmp_path / "bad.geojson"),
                            keep_good=True)
    reasons = {r.row: r.reason for r in report.rows}
    assert reasons[3].startswith("unknown level 'country'")
    assert reasons[2] == f"unknown region '{district}' in parent_code"
    assert reasons[1] == f"unknown region '{sub}' in parent_code"
    assert report.written == 1


def test_imports_are_audited_without_row_values(session, tmp_path: Path) -> None:
    io.import_file(session, "grids", write(grid_frame(2), tmp_path / "g.csv"), actor="key:7")
    audit = session.execute(text("SELECT actor, action, target, details FROM audit_log")).one()
    assert tuple(audit[:3]) == ("key:7", "import", "grids")
    assert audit[3] == {"file": "g.csv", "read": 2, "accepted": 2, "repaired": 0,
                        "rejected": 0, "written": 2}


def test_3d_polygons_are_stored_2d(session, tmp_path: Path) -> None:
    frame = grid_frame(2)
    frame.geometry = shapely.force_3d(frame.geometry.values, z=12.5)
    report = io.import_file(session, "grids", write(frame, tmp_path / "z.shp.zip"))
    assert report.written == 2
    dims = session.execute(text("SELECT DISTINCT ST_NDims(geom) FROM grid")).scalars().all()
    assert dims == [2]
