"""``gridmap assign`` on the run's empty database: runs, prints its summary, exits 0."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from tests import dbs


def test_gridmap_assign_prints_a_summary(engine, base_settings, monkeypatch):
    with dbs.cli_pointed_at(engine, base_settings, monkeypatch):
        result = CliRunner().invoke(app, ["assign"])
    assert result.exit_code == 0, result.output
    assert "buildings changed" in result.output and "located events in a grid" in result.output
