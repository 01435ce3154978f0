"""The exchanged formats over HTTP (upload by file name) and the command line (round trips,
`gridmap export all`), Chinese text intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from gis import io
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.gis.iofiles import LAT, LON, grid_frame, make_region

NAMES = ["第1网格", "第2网格", "第3网格"]
SUFFIXES = [".kml", ".kmz", ".dxf", ".fgb", ".parquet", ".tab.zip", ".gml"]


def names(session: Session) -> list[str]:
    return list(session.execute(text("SELECT name FROM grid ORDER BY name")).scalars())


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_upload_of_each_format_imports_with_chinese_intact(
        client: TestClient, session: Session, tmp_path: Path, suffix: str) -> None:
    io.import_file(session, "grids", _geojson(tmp_path))
    path = tmp_path / f"grids{suffix}"
    io.export_file(session, "grids", path)
    session.execute(text("DELETE FROM grid"))
    upload = "网格.zip" if suffix == ".tab.zip" else f"grids{suffix}"  # a browser sends .zip
    answer = client.post("/api/v1/import/grids?crs=EPSG:4490", files={
        "file": (upload, path.read_bytes())}, headers=_auth(session))
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"] == 3 and names(session) == NAMES


def test_upload_of_a_gbk_csv_reports_its_encoding(client: TestClient, session: Session
                                                  ) -> None:
    body = "code,name,wkt\nG1,海州一网格,\"POLYGON((119.2 34.6,119.21 34.6,119.21 34.61," \
           "119.2 34.6))\"\n"
    answer = client.post("/api/v1/import/grids", headers=_auth(session),
                         files={"file": ("g.csv", body.encode("gbk"))})
    assert answer.status_code == 200, answer.text
    assert answer.json()["encoding"] == "GB18030 (detected)"
    assert names(session) == ["海州一网格"]


def _auth(session: Session) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role='planner')}"}


def _geojson(folder: Path) -> Path:
    path = folder / "source.geojson"
    grid_frame(3).to_file(path)
    return path


# ---- the command line, against a database of its own (it commits) ----

@pytest.fixture(scope="module")
def cli_engine(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "cli_io_formats")
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture
def cli_db(cli_engine: Engine, base_settings: Settings,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with dbs.cli_then_truncated(cli_engine, base_settings, monkeypatch,
                                "grid, region") as eng:
        yield eng


@pytest.mark.parametrize("suffix", [*SUFFIXES, ".tab"])
def test_cli_export_then_import(cli_db: Engine, tmp_path: Path, suffix: str) -> None:
    assert CliRunner().invoke(app, ["import", "grids", str(_geojson(tmp_path))]).exit_code == 0
    out = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(app, ["export", "grids", str(out)])
    assert result.exit_code == 0 and "3 grids written" in result.output, result.output
    with Session(cli_db) as session, session.begin():
        session.execute(text("DELETE FROM grid"))
    crs = ["--crs", "EPSG:4490"] if suffix == ".dxf" else []
    result = CliRunner().invoke(app, ["import", "grids", str(out), *crs])
    assert result.exit_code == 0, result.output
    with Session(cli_db) as session:
        assert names(session) == NAMES


def test_cli_dxf_mapping_file_and_layers(cli_db: Engine, tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["import", "grids", str(_geojson(tmp_path))]).exit_code == 0
    out = tmp_path / "g.dxf"
    assert CliRunner().invoke(app, ["export", "grids", str(out)]).exit_code == 0
    with Session(cli_db) as session, session.begin():
        session.execute(text("DELETE FROM grid"))
    mapping = tmp_path / "map.csv"
    mapping.write_bytes("layer,code,name\nG001,HZ1,海州一网格\nG003,HZ3,海州三网格\n"
                        .encode("gbk"))
    result = CliRunner().invoke(app, ["import", "grids", str(out), "--dxf-map",
                                      str(mapping), "--crs", "EPSG:4490"])
    assert result.exit_code == 0, result.output
    with Session(cli_db) as session:
        assert names(session) == ["海州一网格", "海州三网格"]


def test_cli_export_all_into_one_geopackage(cli_db: Engine, tmp_path: Path) -> None:
    with Session(cli_db) as session, session.begin():
        make_region(session)
    assert CliRunner().invoke(app, ["import", "grids", str(_geojson(tmp_path))]).exit_code == 0
    out = tmp_path / "all.gpkg"
    result = CliRunner().invoke(app, ["export", "all", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 grids" in result.output and "personal data masked" in result.output
    assert set(gpd.list_layers(out)["name"]) == set(io.KINDS)
    assert sorted(gpd.read_file(out, layer="grids")["name"]) == NAMES
    result = CliRunner().invoke(app, ["export", "all", str(tmp_path / "all.geojson")])
    assert result.exit_code != 0 and "GeoPackage" in str(result.exception)


def test_cli_road_report_prints_plain_numbers(cli_db: Engine, tmp_path: Path) -> None:
    roads = gpd.GeoDataFrame({"name": ["幸福路", "高速"], "highway": ["residential", "motorway"]},
                             geometry=[shapely.LineString([(LON, LAT), (LON + 0.01, LAT)]),
                                       shapely.LineString([(LON, LAT + 0.01),
                                                           (LON + 0.01, LAT + 0.01)])],
                             crs=4490)
    roads.to_file(tmp_path / "roads.geojson")
    result = CliRunner().invoke(app, ["import", "roads", str(tmp_path / "roads.geojson")])
    assert result.exit_code == 0, result.output
    assert "np." not in result.output and "1 motorway dropped" in result.output
