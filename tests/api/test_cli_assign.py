"""``gridmap assign`` on the run's empty database: runs, prints its summary, exits 0."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from gis.settings import get_settings


def test_gridmap_assign_prints_a_summary(engine, monkeypatch):
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["assign"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "buildings changed" in result.output and "located events in a grid" in result.output
