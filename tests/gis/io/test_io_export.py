"""Export: every format round-trips through import; personal data masked unless revealed."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import io
from gis.core.errors import InvalidInput
from gis.io.validation import as_text
from tests.gis.iofiles import (
    COMMUNITY,
    building_frame,
    facility_frame,
    grid_frame,
    make_building,
    make_region,
    write,
)

FORMATS = [".geojson", ".gpkg", ".shp.zip", ".zip", ".csv"]
TABLES = {"grids": "grid", "buildings": "building", "facilities": "facility",
          "grid_workers": "grid_worker", "households": "household", "residents": "resident",
          "events": "event"}


def seed(session: Session, folder: Path, kind: str, suffix: str) -> None:
    """Import source data for ``kind`` (and what it refers to) from GeoPackages."""
    make_region(session)
    io.import_file(session, "grids", write(grid_frame(3, community_code=COMMUNITY),
                                           folder / "seed-grids.gpkg"))
    if kind == "buildings":
        frame = building_frame(3, grid_code="G002")
        frame.loc[1, ["grid_code", "floors", "compound"]] = [None, None, None]
        io.import_file(session, kind, write(frame, folder / "seed.gpkg"))
    if kind == "facilities":
        frame = facility_frame()
        if suffix.endswith(".zip"):  # a Shapefile holds one geometry type
            frame = frame.iloc[:2]
        io.import_file(session, kind, write(frame, folder / "seed.gpkg"))
    if kind in ("grid_workers", "households", "residents", "events"):
        seed_people(session, folder)


def seed_people(session: Session, folder: Path) -> None:
    make_building(session, "B900")
    files = {
        "grid_workers": "code,name,role,phone,duties,supervision_phone,grid_codes\n"
                        "W1,张网格,full_time,13800000001,巡查走访,0518-12345,\"G002,G001\"\n"
                        "W2,李兼职,part_time,,,,\n",
        "households": "code,building_code,unit,room,head_name,phone,size\n"
                      "H1,B900,1,101,李四,13900000000,3\nH2,B900,,,,,1\n",
        "residents": "code,household_code,building_code,name,id_number,phone,gender,"
                     "birth_date,relation,categories\n"
                     "R1,H1,,李四,320706195001011234,13900000000,M,1950-01-01,户主,"
                     "\"elderly_alone,party_member\"\nR2,,B900,王五,,,F,,,\n",
        "events": "code,category,description,channel,address,reporter_name,reporter_phone,"
                  "reported_at,lon,lat\n"
                  "E1,垃圾堆放,楼下,12345,,赵六,13700000000,2026-05-01T08:30:00+08:00,"
                  "119.2011,34.6012\nE2,占道经营,,patrol,幸福路3号,,,2026-05-02T10:00:00+08:00,,\n",
    }
    for kind, content in files.items():
        (folder / f"seed-{kind}.csv").write_text(content, encoding="utf-8")
        io.import_file(session, kind, folder / f"seed-{kind}.csv")


def same_features(before: pd.DataFrame, after: pd.DataFrame) -> None:
    assert len(after) == len(before) > 0
    cols = [c for c in before.columns if c != "geom"]
    assert after[cols].apply(as_text).equals(before[cols].apply(as_text))
    if isinstance(before, gpd.GeoDataFrame):
        a, b = before.geometry.values, after.geometry.values
        both = ~shapely.is_missing(a) & ~shapely.is_missing(b)
        assert (shapely.is_missing(a) == shapely.is_missing(b)).all()
        # same shape, whatever the type (a demo Polygon facility comes back a MultiPolygon)
        assert (shapely.hausdorff_distance(a[both], b[both]) < 1e-9).all()


def round_trip(session: Session, kind: str, path: Path) -> None:
    before = io.export_frame(session, kind, reveal=True)
    assert io.export_file(session, kind, path, reveal=True) == len(before)
    dependent = {"households": "resident", "grid_workers": "event"}.get(kind)
    if dependent:
        session.execute(text(f"DELETE FROM {dependent}"))
    session.execute(text(f"DELETE FROM {TABLES[kind]}"))
    report = io.import_file(session, kind, path)
    assert report.written == report.read == len(before)
    same_features(before, io.export_frame(session, kind, reveal=True))


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("kind", ["grids", "buildings", "facilities"])
def test_export_then_import_gives_the_same_features(session, tmp_path: Path, kind: str,
                                                    suffix: str) -> None:
    seed(session, tmp_path, kind, suffix)
    if kind != "grids":
        session.execute(text("DELETE FROM grid_worker_grid"))
    round_trip(session, kind, tmp_path / f"export{suffix}")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
@pytest.mark.parametrize("kind", ["grid_workers", "households", "residents", "events"])
def test_people_and_events_round_trip(session, tmp_path: Path, kind: str, suffix: str) -> None:
    seed(session, tmp_path, kind, suffix)
    round_trip(session, kind, tmp_path / f"export{suffix}")


def test_personal_data_is_masked_unless_revealed(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "residents", ".csv")
    masked = io.export_frame(session, "residents").set_index("code")
    assert masked.loc["R1", ["name", "id_number", "phone"]].tolist() == [
        "李*", "320706********1234", "139****0000"]
    households = io.export_frame(session, "households").set_index("code")
    assert households.loc["H1", ["head_name", "phone"]].tolist() == ["李*", "139****0000"]
    revealed = io.export_frame(session, "residents", reveal=True).set_index("code")
    assert revealed.loc["R1", "id_number"] == "320706195001011234"
    workers = io.export_frame(session, "grid_workers").set_index("code")
    assert workers.loc["W1", "phone"] == "13800000001"  # public contact (上岗公示)
    io.export_file(session, "residents", tmp_path / "masked.csv")
    assert "320706195001011234" not in (tmp_path / "masked.csv").read_text(encoding="utf-8-sig")


def test_shapefile_export_refuses_what_it_cannot_hold(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "facilities", ".gpkg")
    with pytest.raises(InvalidInput, match="mix MultiPolygon and Point"):
        io.export_file(session, "facilities", tmp_path / "f.shp.zip")
    with pytest.raises(InvalidInput, match="no geometry"):
        io.export_file(session, "households", tmp_path / "h.shp.zip")


def test_grid_export_by_theme(session, tmp_path: Path) -> None:
    io.import_file(session, "grids", write(grid_frame(2), tmp_path / "u.geojson"))
    party = grid_frame(1).assign(theme="party", code="P001")
    io.import_file(session, "grids", write(party, tmp_path / "p.geojson"))
    assert io.export_frame(session, "grids", theme="party")["code"].tolist() == ["P001"]
    assert len(io.export_frame(session, "grids")) == 3
    collection = io.export_collection(session, "grids", theme="unified")
    assert [f["properties"]["code"] for f in collection["features"]] == ["G001", "G002"]
    assert collection["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_demo_district_moves_to_an_empty_database(demo_session: Session, session: Session,
                                                  tmp_path: Path) -> None:
    """Export the demo's map layers and import them, in reference order, into an empty db."""
    for kind in ("regions", "grids", "buildings", "facilities", "grid_workers"):
        before = io.export_frame(demo_session, kind, reveal=True)
        io.export_file(demo_session, kind, tmp_path / f"{kind}.gpkg", reveal=True)
        report = io.import_file(session, kind, tmp_path / f"{kind}.gpkg")
        assert report.written == report.read == len(before), kind
        same_features(before, io.export_frame(session, kind, reveal=True))


def test_csv_times_are_beijing_minutes_and_geojson_keeps_iso(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "events", ".csv")
    io.export_file(session, "events", tmp_path / "events.csv", reveal=True)
    shown = pd.read_csv(tmp_path / "events.csv", dtype=str, encoding="utf-8-sig")
    assert sorted(shown["reported_at"]) == ["2026-05-01 08:30", "2026-05-02 10:00"]
    io.export_file(session, "events", tmp_path / "events.geojson", reveal=True)
    features = json.loads((tmp_path / "events.geojson").read_text())["features"]
    kept = sorted(f["properties"]["reported_at"] for f in features)
    assert "T" in kept[0] and kept[0].endswith("+00:00")  # ISO 8601 with its offset
    assert pd.Timestamp(kept[0]) == pd.Timestamp("2026-05-01T00:30:00Z")


def test_event_files_may_name_channels_in_chinese(session, tmp_path: Path) -> None:
    seed(session, tmp_path, "events", ".csv")
    path = tmp_path / "chinese.csv"
    path.write_text("code,category,channel,lon,lat\nE9,sanitation,网格巡查,119.2011,34.6012\n",
                    encoding="utf-8")
    assert io.import_file(session, "events", path).written == 1
    channel = session.execute(text("SELECT channel FROM event WHERE code = 'E9'")).scalar_one()
    assert channel == "patrol"
