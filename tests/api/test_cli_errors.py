"""The command line never shows a traceback: one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from api.cli import common, main
from gis.core.settings import get_settings

ID_NUMBER = "110101199003071234"
PHONE = "13800138000"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        *args: str) -> tuple[int | str | None, str]:
    monkeypatch.setattr(sys, "argv", ["gridmap", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRIDMAP_HOME", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_an_unexpected_error_is_one_line_and_logged_without_its_message(
        home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> None:
        raise RuntimeError(f"resident {ID_NUMBER} phone {PHONE}")

    monkeypatch.setattr(common, "engine", broken)  # the fault: a command's first step fails
    code, err = run(monkeypatch, capsys, "qa")
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("gridmap: unexpected error (RuntimeError at ")
    assert "Traceback" not in err and ID_NUMBER not in err and PHONE not in err
    logged = (home / "cli.log").read_text(encoding="utf-8")
    assert "RuntimeError" in logged and "broken" in logged
    assert ID_NUMBER not in logged and PHONE not in logged


def test_an_unreachable_database_is_one_line(home: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GRIDMAP_DATABASE_URL",
                       "postgresql+psycopg2://nobody@127.0.0.1:1/gridmap")
    get_settings.cache_clear()
    code, err = run(monkeypatch, capsys, "qa")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "database" in err


@pytest.mark.parametrize("expires", ["9999-12-31", "0001-01-01", "99999999999d"])
def test_absurd_key_expiry_is_one_line(home: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str],
                                       expires: str) -> None:
    code, err = run(monkeypatch, capsys, "keys", "create", "--role", "viewer",
                    "--expires", expires)
    assert code == 1 and err.count("\n") == 1, err
    assert "between 1900-01-01 and 2099-12-31" in err
