"""`gridmap keys create` through typer's CliRunner against the test database."""

import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app, main
from gis.access import keys
from gis.core.settings import Settings
from gis.models import ApiKey
from tests import dbs


@pytest.fixture
def cli_db(engine: Engine, base_settings: Settings,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI pointed at the run's empty database; the keys it commits are removed after."""
    with dbs.cli_pointed_at(engine, base_settings, monkeypatch):
        yield engine
    with Session(engine) as session, session.begin():
        session.execute(delete(ApiKey).where(ApiKey.label == "cli-test"))


def test_key_printed_once_and_only_a_salted_hash_stored(cli_db: Engine) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--role", "dispatcher",
                                      "--label", "cli-test"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("gm_") and result.stdout.count(key) == 1
    _, prefix, secret = key.split("_", 2)
    with Session(cli_db) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        assert row.role == "dispatcher"
        stored = [str(v) for v in (row.prefix, row.salt, row.hash, row.label)]
        assert not any(secret in value for value in stored)
        assert len(row.salt) == 32 and len(row.hash) == 128
        caller = keys.caller_from_token(session, key)
        assert (caller.role, caller.key_id) == ("dispatcher", row.id)


def test_unknown_role_fails_with_one_line(cli_db: Engine, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["gridmap", "keys", "create", "--role", "emperor"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown role 'emperor'" in err
