"""`gridmap keys create|list|revoke` through typer's CliRunner against the test database."""

import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app, main
from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from gis.models import ApiKey, Region
from tests import dbs
from tests.builders import make_region


@pytest.fixture
def cli_db(engine: Engine, base_settings: Settings,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI pointed at the run's empty database; the keys it commits are removed after."""
    with dbs.cli_pointed_at(engine, base_settings, monkeypatch):
        yield engine
    with Session(engine) as session, session.begin():
        session.execute(delete(ApiKey).where(ApiKey.label == "cli-test"))


def test_key_printed_once_and_only_a_digest_and_a_salted_hash_stored(cli_db: Engine) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--role", "dispatcher",
                                      "--label", "cli-test"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("gm_") and result.stdout.count(key) == 1
    _, prefix, secret = key.split("_", 2)
    with Session(cli_db) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        assert row.role == "dispatcher"
        stored = [str(v) for v in (row.prefix, row.salt, row.hash, row.label, row.digest)]
        assert not any(secret in value for value in stored)
        assert len(row.salt) == 32 and len(row.hash) == 128 and len(str(row.digest)) == 76
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


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *args: str) -> tuple[int, str, str]:
    """``gridmap ARGS`` through the console-script entry: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["gridmap", *args])
    code = 0
    try:
        main()
    except SystemExit as exited:
        code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def live_client(cli_db: Engine, base_settings: Settings) -> Iterator[TestClient]:
    """The app on the CLI's database with its own committing sessions, as a server runs."""
    with TestClient(create_app(dbs.settings_for(cli_db, base_settings))) as client:
        yield client


def test_list_and_revoke_end_a_key_at_once(live_client: TestClient,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    client = live_client
    code, out, _ = _run(monkeypatch, capsys, "keys", "create", "--role", "dispatcher",
                        "--expires", "30d", "--label", "cli-test")
    key = out.strip()
    prefix, secret = key.split("_")[1], key.split("_", 2)[2]
    auth = {"Authorization": f"Bearer {key}"}
    assert code == 0 and client.get("/api/v1/events", headers=auth).status_code == 200
    code, out, _ = _run(monkeypatch, capsys, "keys", "list")
    header, *rows = out.splitlines()
    assert code == 0 and header.split("\t")[:4] == ["id", "prefix", "role", "region"]
    mine = next(r.split("\t") for r in rows if r.split("\t")[1] == prefix)
    assert mine[2:5] == ["dispatcher", "-", "cli-test"] and mine[7] == "-"
    assert mine[6] != "-" and mine[8] != "-"  # expires in 30 days; used just now
    assert secret not in out
    code, _, err = _run(monkeypatch, capsys, "keys", "revoke", prefix)
    assert code == 0 and "revoked" in err
    refused = client.get("/api/v1/events", headers=auth)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert secret not in refused.text
    code, _, err = _run(monkeypatch, capsys, "keys", "revoke", prefix)
    assert code == 0 and "already revoked" in err


@pytest.mark.parametrize(("args", "words"), [
    (["keys", "create", "--role", "admin", "--region", "999999999999"],
     "unknown region code '999999999999'"),
    (["keys", "create", "--role", "viewer", "--expires", "soon"], "expiry 'soon' not understood"),
    (["keys", "create", "--role", "viewer", "--expires", "2020-01-01"], "not in the future"),
    (["keys", "revoke", "ffffffff"], "no key with id or prefix 'ffffffff'"),
])
def test_bad_key_commands_fail_with_one_line(cli_db: Engine, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str],
                                             args: list[str], words: str) -> None:
    code, out, err = _run(monkeypatch, capsys, *args)
    assert code == 1 and out == "" and err.count("\n") == 1 and words in err


def test_admin_key_keeps_its_region(cli_db: Engine, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with Session(cli_db) as session, session.begin():
        region = make_region(session, code="320706990001").code
    try:
        code, out, _ = _run(monkeypatch, capsys, "keys", "create", "--role", "admin",
                            "--region", region, "--label", "cli-test")
        assert code == 0
        with Session(cli_db) as session:
            caller = keys.caller_from_token(session, out.strip())
            assert (caller.role, caller.region_code) == ("admin", region)
            session.commit()
    finally:
        with Session(cli_db) as session, session.begin():
            session.execute(delete(ApiKey).where(ApiKey.label == "cli-test"))
            session.execute(delete(Region).where(Region.code == "320706990001"))
