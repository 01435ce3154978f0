"""`gridmap demo`: skips when the demo is loaded, refuses a database holding other data."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app, main
from gis.core.settings import Settings
from tests import dbs


@pytest.fixture
def foreign_db(engine: Engine, base_settings: Settings,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The run's empty database holding one district that is not the demo's (removed after)."""
    with Session(engine) as session, session.begin():
        session.execute(text(
            "INSERT INTO region (code, name, level, geom) VALUES ('320707000000', '赣榆区', "
            "'district', ST_Multi(ST_MakeEnvelope(119, 34.8, 119.1, 34.9, 4490)))"))
    with dbs.cli_pointed_at(engine, base_settings, monkeypatch):
        yield engine
    with Session(engine) as session, session.begin():
        session.execute(text("DELETE FROM region WHERE code = '320707000000'"))


def test_demo_already_loaded_is_skipped(demo_engine: Engine, base_settings: Settings,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with dbs.cli_pointed_at(demo_engine, base_settings, monkeypatch):
        result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "already loaded" in result.output


def test_demo_refuses_a_database_with_other_data(foreign_db: Engine,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["gridmap", "demo"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not the demo's" in err and "--replace" in err
    with Session(foreign_db) as session:
        assert session.execute(text("SELECT count(*) FROM building")).scalar_one() == 0
