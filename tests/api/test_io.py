"""POST /api/v1/import/{kind}, GET /api/v1/export/{kind}, and `gridmap import|export`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app, main
from gis.access import keys
from gis.core.settings import Settings
from gis.models import Grid
from tests import dbs
from tests.gis.iofiles import (
    COMMUNITY,
    building_frame,
    grid_frame,
    make_building,
    make_region,
    write,
)


def auth(session: Session, role: str) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def grid_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Grid)) or 0


def geojson(frame) -> bytes:  # type: ignore[no-untyped-def]
    return frame.to_json(ensure_ascii=False).encode()


def test_anonymous_and_viewer_may_not_import(client: TestClient, session: Session) -> None:
    body = geojson(grid_frame(1))
    assert client.post("/api/v1/import/grids", content=body).status_code == 401
    answer = client.post("/api/v1/import/grids", content=body, headers=auth(session, "viewer"))
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert grid_count(session) == 0


def test_planner_uploads_a_geopackage(client: TestClient, session: Session,
                                      tmp_path: Path) -> None:
    path = write(grid_frame(3), tmp_path / "grids.gpkg")
    answer = client.post("/api/v1/import/grids", headers=auth(session, "planner"),
                         files={"file": ("grids.gpkg", path.read_bytes())})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["read"], report["accepted"], report["written"]) == (3, 3, 3)
    assert report["file"] == "grids.gpkg" and grid_count(session) == 3


def test_raw_geojson_body_with_crs(client: TestClient, session: Session) -> None:
    frame = grid_frame(2).to_crs(4549)
    body = json.dumps(json.loads(frame.to_json()) | {"crs": None}).encode()
    headers = auth(session, "admin") | {"Content-Type": "application/geo+json"}
    answer = client.post("/api/v1/import/grids", content=body, headers=headers)
    assert answer.status_code == 422 and answer.json()["code"] == "import_rejected"
    assert "outside China" in answer.json()["report"]["rows"][0]["reason"]
    answer = client.post("/api/v1/import/grids?crs=EPSG:4549", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["source_crs"] == "EPSG:4549"


def test_rejected_rows_answer_422_with_the_report(client: TestClient, session: Session) -> None:
    frame = grid_frame(3)
    frame.loc[1, "code"] = "G001"
    headers = auth(session, "planner")
    answer = client.post("/api/v1/import/grids", content=geojson(frame), headers=headers)
    body = answer.json()
    assert answer.status_code == 422 and body["code"] == "import_rejected"
    assert "nothing was written" in body["detail"]
    assert [(r["row"], r["status"]) for r in body["report"]["rows"]] == [
        (1, "rejected"), (2, "rejected")]
    assert grid_count(session) == 0
    answer = client.post("/api/v1/import/grids?keep_good=true", content=geojson(frame),
                         headers=headers)
    assert answer.status_code == 200 and answer.json()["rejected"] == 2
    assert grid_count(session) == 1


def test_oversize_upload_is_413(client: TestClient, session: Session) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"max_upload_bytes": 2000})
    headers = auth(session, "planner")
    big = geojson(grid_frame(40))
    answer = client.post("/api/v1/import/grids", content=big, headers=headers)
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    assert "2.0 MB" not in answer.json()["detail"] and "gridmap import" in answer.json()["detail"]
    answer = client.post("/api/v1/import/grids", headers=headers,
                         files={"file": ("g.geojson", big)})
    assert answer.status_code == 413
    assert client.post("/api/v1/import/grids", content=geojson(grid_frame(1)),
                       headers=headers).status_code == 200


def test_malformed_uploads_are_422(client: TestClient, session: Session) -> None:
    headers = auth(session, "planner")
    for name, content in [("x.zip", b"garbage"), ("x.txt", b"a"), ("x.geojson", b"{")]:
        answer = client.post("/api/v1/import/grids", headers=headers,
                             files={"file": (name, content)})
        assert answer.status_code == 422 and answer.json()["code"] == "malformed_file", name
    answer = client.post("/api/v1/import/parcels", content=b"{}", headers=headers)
    assert answer.status_code == 422 and "unknown kind" in answer.json()["detail"]
    answer = client.post("/api/v1/import/grids?crs=nonsense", content=geojson(grid_frame(1)),
                         headers=headers)
    assert answer.status_code == 422 and answer.json()["code"] == "unknown_crs"


def test_export_geojson_and_masking(client: TestClient, session: Session) -> None:
    headers = auth(session, "admin")
    client.post("/api/v1/import/grids", content=geojson(grid_frame(2)), headers=headers)
    answer = client.get("/api/v1/export/grids?theme=unified")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/geo+json")
    assert [f["properties"]["code"] for f in answer.json()["features"]] == ["G001", "G002"]
    make_building(session, "B900")
    session.execute(text("INSERT INTO household (code, building_id, head_name, phone) "
                         "SELECT 'H1', id, '李四', '13900000000' FROM building"))
    assert client.get("/api/v1/export/households").status_code == 401
    masked = client.get("/api/v1/export/households", headers=auth(session, "planner"))
    assert masked.json()["features"][0]["properties"]["phone"] == "139****0000"
    assert client.get("/api/v1/export/households", headers=headers).json()[
        "features"][0]["properties"]["phone"] == "139****0000"  # an admin asks to reveal
    shown = client.get("/api/v1/export/households?reveal=true", headers=headers)
    assert shown.json()["features"][0]["properties"]["phone"] == "13900000000"
    audit = session.execute(text("SELECT action, target FROM audit_log WHERE action = "
                                 "'export_personal_data'")).all()
    assert [tuple(a) for a in audit] == [("export_personal_data", "households")]
    make_region(session)  # a dispatcher limited to one community: its households, masked
    limited = {"Authorization": "Bearer " + keys.create_key(session, role="dispatcher",
                                                            region_code=COMMUNITY)}
    assert client.get("/api/v1/export/households", headers=limited).json()["features"] == []
    session.execute(text("UPDATE building SET community_code = :c"), {"c": COMMUNITY})
    masked = client.get("/api/v1/export/households", headers=limited)
    assert masked.json()["features"][0]["properties"]["head_name"] == "李*"


# ---- the command line, against a database of its own (it commits) ----

@pytest.fixture(scope="module")
def cli_engine(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "cli_io")
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture
def cli_db(cli_engine: Engine, base_settings: Settings,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with dbs.cli_then_truncated(cli_engine, base_settings, monkeypatch,
                                "grid, building") as eng:
        yield eng


def test_cli_import_report_and_exit_codes(cli_db: Engine, tmp_path: Path) -> None:
    frame = building_frame(3)
    frame["floors"] = frame["floors"].astype(object)
    frame.loc[2, "floors"] = "六"
    path = write(frame, tmp_path / "b.csv")
    result = CliRunner().invoke(app, ["import", "buildings", str(path)])
    assert result.exit_code == 1
    assert "floors is not a whole number: '六'" in result.output and "rejected" in result.output
    with Session(cli_db) as session:
        assert session.scalar(text("SELECT count(*) FROM building")) == 0
    result = CliRunner().invoke(app, ["import", "buildings", str(path), "--keep-good"])
    assert result.exit_code == 0, result.output
    assert "3 read: 2 accepted, 0 repaired, 1 rejected; 2 written" in " ".join(
        result.output.split())
    with Session(cli_db) as session:
        assert session.scalar(text("SELECT count(*) FROM building")) == 2


def test_cli_export_then_import(cli_db: Engine, tmp_path: Path) -> None:
    source = write(grid_frame(3), tmp_path / "g.geojson")
    assert CliRunner().invoke(app, ["import", "grids", str(source)]).exit_code == 0
    out = tmp_path / "out.shp.zip"
    result = CliRunner().invoke(app, ["export", "grids", str(out), "--theme", "unified"])
    assert result.exit_code == 0 and "3 grids written" in result.output
    with Session(cli_db) as session, session.begin():
        session.execute(text("DELETE FROM grid"))
    assert CliRunner().invoke(app, ["import", "grids", str(out)]).exit_code == 0
    with Session(cli_db) as session:
        assert session.scalar(text("SELECT count(*) FROM grid")) == 3


def test_cli_malformed_file_is_one_line(cli_db: Engine, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "g.csv").write_text("code,name\nG1,一\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["gridmap", "import", "grids", str(tmp_path / "g.csv")])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.count("\n") == 1 and "no coordinates" in err
