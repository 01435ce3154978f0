"""Keys checked on the key connection (gis.access.keycheck) and held while the key
listener (gis.access.keywatch, migration 0022) hears of no change: a key revoked by this
process is refused at its next check, by another process within the notification's delay
(bounded by keywatch.LIVE_S), and every check asks the database while the listener is down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gis.access import keycheck, keys, keywatch
from gis.core.errors import Unauthenticated
from gis.core.settings import Settings
from gis.models import ApiKey
from tests import dbs
from tests.gis.tiles.test_versions import eventually, raw_write

SECRET = b"keycheck-test-secret"


@pytest.fixture(scope="module")
def committed(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "keycheck")
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture
def checks(committed: Engine) -> Iterator[keycheck.KeyChecks]:
    """Checks on ``committed``, its key listener connected."""
    made = keycheck.KeyChecks(committed, timeout_ms=5000)
    eventually(lambda: keywatch.watch(committed).epoch() is not None)
    yield made
    made.close()


def new_key(engine: Engine, expires_at: datetime | None = None) -> str:
    with Session(engine) as session, session.begin():
        return keys.create_key(session, role="viewer", secret=SECRET, expires_at=expires_at)


def check(checks: keycheck.KeyChecks, key: str):
    return asyncio.run(checks.caller(key, SECRET))


def test_a_valid_key_is_asked_once_then_held(checks, committed: Engine) -> None:
    key = new_key(committed)
    first = check(checks, key)  # connects, prepares, verifies, stamps the last use
    assert first is not None and first.role == "viewer" and first.key_id is not None
    before = checks.statements
    assert check(checks, key) == first
    assert checks.statements == before  # no round trip
    with Session(committed) as session:
        assert session.scalar(select(ApiKey.last_used_at).where(
            ApiKey.id == first.key_id)) is not None


def test_a_key_revoked_by_this_process_is_refused_at_its_next_check(
        checks, committed: Engine) -> None:
    key = new_key(committed)
    assert check(checks, key) is not None and check(checks, key) is not None
    with Session(committed) as session, session.begin():
        keys.revoke_key(session, key)
    with pytest.raises(Unauthenticated, match="revoked"):
        check(checks, key)


def test_a_key_revoked_by_another_process_is_refused_within_the_notification_delay(
        checks, committed: Engine) -> None:
    key = new_key(committed)
    assert check(checks, key) is not None and check(checks, key) is not None
    raw_write(committed, "UPDATE api_key SET revoked_at = now() WHERE prefix = "
                         f"'{key.split('_')[1]}'")  # psql's, the command line's: NOTIFY only
    revoked_at = time.monotonic()

    def refused() -> bool:
        try:
            check(checks, key)
        except Unauthenticated:
            return True
        return False

    eventually(refused, keywatch.LIVE_S)
    assert time.monotonic() - revoked_at < keywatch.LIVE_S


def test_every_check_asks_the_database_while_the_listener_is_down(
        checks, committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    key = new_key(committed)
    assert check(checks, key) is not None
    watch = keywatch.watch(committed)
    monkeypatch.setattr(keywatch, "RETRY_S", 2.0)
    raw_write(committed, f"SELECT pg_terminate_backend({watch.pid})")
    eventually(lambda: watch.epoch() is None, 2.0)
    before = checks.statements
    assert check(checks, key) is not None and check(checks, key) is not None
    assert checks.statements == before + 2
    raw_write(committed, "UPDATE api_key SET revoked_at = now() WHERE prefix = "
                         f"'{key.split('_')[1]}'")  # heard by nobody: asked anyway
    with pytest.raises(Unauthenticated, match="revoked"):
        check(checks, key)
    eventually(lambda: watch.epoch() is not None)


def test_a_held_key_is_refused_once_it_expires(checks, committed: Engine) -> None:
    key = new_key(committed, datetime.now(UTC) + timedelta(seconds=1.5))
    assert check(checks, key) is not None and check(checks, key) is not None
    time.sleep(1.6)
    with pytest.raises(Unauthenticated, match="expired"):
        check(checks, key)


def test_a_key_whose_expiry_moved_is_refused(checks, committed: Engine) -> None:
    key = new_key(committed, datetime.now(UTC) + timedelta(hours=1))
    assert check(checks, key) is not None
    raw_write(committed, "UPDATE api_key SET expires_at = now() - interval '1 second' "
                         f"WHERE prefix = '{key.split('_')[1]}'")

    def refused() -> bool:
        try:
            check(checks, key)
        except Unauthenticated as exc:
            return "expired" in exc.message
        return False

    eventually(refused, keywatch.LIVE_S)


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
    held, key = new_key(committed), new_key(committed)
    assert check(checks, held) is not None
    pid = checks.pid
    raw_write(committed, f"SELECT pg_terminate_backend({pid})")
    monkeypatch.setattr(keycheck, "RETRY_S", 0.0)
    assert check(checks, key) is None
    again = check(checks, key)
    assert again is not None and checks.pid != pid
