"""Keys checked on the key connection (gis.access.keycheck): the database decides every
check, so a key revoked or expired by another connection is refused at its next check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gis.access import keycheck, keys
from gis.core.errors import Unauthenticated
from gis.core.settings import Settings
from gis.models import ApiKey
from tests import dbs
from tests.gis.tiles.test_versions import raw_write

SECRET = b"keycheck-test-secret"


@pytest.fixture(scope="module")
def committed(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "keycheck")
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture
def checks(committed: Engine) -> Iterator[keycheck.KeyChecks]:
    made = keycheck.KeyChecks(committed, timeout_ms=5000)
    yield made
    made.close()


def new_key(engine: Engine, expires_at: datetime | None = None) -> str:
    with Session(engine) as session, session.begin():
        return keys.create_key(session, role="viewer", secret=SECRET, expires_at=expires_at)


def check(checks: keycheck.KeyChecks, key: str):
    return asyncio.run(checks.caller(key, SECRET))


def test_a_key_is_checked_with_one_statement(checks, committed: Engine) -> None:
    key = new_key(committed)
    first = check(checks, key)  # connects, prepares, verifies, stamps the last use
    assert first is not None and first.role == "viewer" and first.key_id is not None
    before = checks.statements
    assert check(checks, key) == first
    assert checks.statements == before + 1
    with Session(committed) as session:
        assert session.scalar(select(ApiKey.last_used_at).where(
            ApiKey.id == first.key_id)) is not None


def test_a_key_revoked_by_another_connection_is_refused_at_its_next_check(
        checks, committed: Engine) -> None:
    key = new_key(committed)
    assert check(checks, key) is not None
    with Session(committed) as session, session.begin():
        keys.revoke_key(session, key)
    with pytest.raises(Unauthenticated, match="revoked"):
        check(checks, key)


def test_an_expired_key_is_refused(checks, committed: Engine) -> None:
    key = new_key(committed, datetime.now(UTC) + timedelta(hours=1))
    assert check(checks, key) is not None
    with Session(committed) as session, session.begin():
        session.execute(update(ApiKey).where(ApiKey.prefix == key.split("_")[1]).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(Unauthenticated, match="expired"):
        check(checks, key)


def test_what_it_cannot_decide_is_left_to_the_session(checks, committed: Engine) -> None:
    key = new_key(committed)
    assert check(checks, key[:-2] + "xx") is None  # unknown: caller_from_token says so
    with pytest.raises(Unauthenticated, match="malformed"):
        check(checks, "gm_nothex_abc")
    with Session(committed) as session, session.begin():  # a digest still to be stamped
        session.execute(update(ApiKey).where(ApiKey.prefix == key.split("_")[1]).values(
            digest=None))
    assert check(checks, key) is None
    with Session(committed) as session, session.begin():
        assert keys.caller_from_token(session, key, SECRET).role == "viewer"
    assert check(checks, key) is not None


def test_a_lost_connection_sends_checks_to_the_session_then_is_made_again(
        checks, committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_key(committed)
    assert check(checks, key) is not None
    pid = checks.pid
    raw_write(committed, f"SELECT pg_terminate_backend({pid})")
    monkeypatch.setattr(keycheck, "RETRY_S", 0.0)
    assert check(checks, key) is None
    again = check(checks, key)
    assert again is not None and checks.pid != pid
