"""`gridmap circles` through typer's CliRunner against the demo database."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from gis.core.settings import Settings
from tests import dbs
from tests.builders import make_facility
from tests.gis.walknet import line, make_roads, point


@pytest.fixture
def cli_demo(demo_engine: Engine, base_settings: Settings,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI pointed at the demo database; the circles it caches are removed after."""
    with dbs.cli_pointed_at(demo_engine, base_settings, monkeypatch):
        yield demo_engine
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM service_area"))


def test_circles_command_caches_and_prints_coverage(cli_demo: Engine) -> None:
    result = CliRunner().invoke(app, ["circles", "--type", "party_center", "--sites", "1"])
    assert result.exit_code == 0, result.output
    assert "党群服务中心 (party_center)" in result.stdout and "%" in result.stdout
    assert "建议新增 #1" in result.stdout
    with cli_demo.connect() as conn:
        cached = conn.execute(text(
            "SELECT count(*) FROM service_area s JOIN facility f ON f.id = s.facility_id "
            "WHERE f.type = 'party_center' AND s.minutes = 10")).scalar_one()
        facilities = conn.execute(text(
            "SELECT count(*) FROM facility WHERE type = 'party_center'")).scalar_one()
    assert cached == facilities


def test_circles_command_refuses_a_bad_budget(cli_demo: Engine) -> None:
    result = CliRunner().invoke(app, ["circles", "--type", "clinic", "--minutes", "0"])
    assert result.exit_code != 0


@pytest.fixture
def roads_and_facilities_only(base_settings: Settings,
                              monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A database holding a street and a clinic but no buildings yet, the CLI pointed at it."""
    engine = dbs.migrated_database(base_settings, "nobuildings")
    try:
        with Session(engine) as session, session.begin():
            make_roads(session, line((0, 0), (2000, 0)))
            make_facility(session, type="clinic", geom=point(100, 0))
        with dbs.cli_pointed_at(engine, base_settings, monkeypatch):
            yield engine
    finally:
        dbs.drop_database(base_settings, engine)


def test_circles_without_buildings_computes_circles_and_says_coverage_needs_them(
        roads_and_facilities_only: Engine) -> None:
    result = CliRunner().invoke(app, ["circles", "--sites", "1"])
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "clinic" in result.stdout
    assert "coverage needs buildings" in result.stderr
    with roads_and_facilities_only.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM service_area")).scalar_one() == 1
