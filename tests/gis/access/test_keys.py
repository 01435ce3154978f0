"""API keys: one digest query per request, the old scrypt keys upgraded once, revocation and
expiry at once, listing without secrets, expiry parsing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from gis.core.errors import InvalidInput, NotFound, Unauthenticated
from gis.models import ApiKey
from tests.builders import make_region

SECRET = b"server-secret-for-tests"


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the real scrypt computations (the function still runs)."""
    calls: list[str] = []
    real: Callable[[str, str], str] = keys._hash

    def counted(secret: str, salt: str) -> str:
        calls.append(salt)
        return real(secret, salt)

    monkeypatch.setattr(keys, "_hash", counted)
    return calls


def _row(session: Session, key: str) -> ApiKey:
    session.expire_all()
    row = session.query(ApiKey).filter_by(prefix=key.split("_")[1]).one()
    return row


def test_a_new_key_is_recognised_by_its_digest_without_scrypt(
        session: Session, scrypt_calls: list[str]) -> None:
    key = keys.create_key(session, role="dispatcher", secret=SECRET)
    assert len(scrypt_calls) == 1  # made once, at creation
    row = _row(session, key)
    assert row.digest == keys.digest(key, SECRET) and row.digest.startswith("h1:")
    assert not any(key.split("_", 2)[2] in str(v) for v in (row.digest, row.hash, row.salt))
    for _ in range(3):
        caller = keys.caller_from_token(session, key, SECRET)
        assert (caller.role, caller.key_id) == ("dispatcher", row.id)
    assert len(scrypt_calls) == 1


def test_an_old_scrypt_key_still_works_and_becomes_fast(
        session: Session, scrypt_calls: list[str]) -> None:
    key = keys.create_key(session, role="viewer", secret=SECRET)
    session.execute(text("UPDATE api_key SET digest = NULL"))  # as made before migration 0008
    scrypt_calls.clear()
    assert keys.caller_from_token(session, key, SECRET).role == "viewer"
    assert len(scrypt_calls) == 1 and _row(session, key).digest == keys.digest(key, SECRET)
    session.execute(text("UPDATE api_key SET hash = repeat('0', 128)"))  # scrypt can't pass now
    assert keys.caller_from_token(session, key, SECRET).role == "viewer"
    assert len(scrypt_calls) == 1


def test_a_key_stamped_under_another_secret_is_restamped_once(
        session: Session, scrypt_calls: list[str]) -> None:
    key = keys.create_key(session, role="planner", secret=b"the command line's secret")
    scrypt_calls.clear()
    assert keys.caller_from_token(session, key, SECRET).role == "planner"
    assert keys.caller_from_token(session, key, SECRET).role == "planner"
    assert len(scrypt_calls) == 1 and _row(session, key).digest == keys.digest(key, SECRET)


def test_a_wrong_secret_for_a_known_prefix_costs_no_scrypt(
        session: Session, scrypt_calls: list[str]) -> None:
    key = keys.create_key(session, role="admin", secret=SECRET)
    scrypt_calls.clear()
    with pytest.raises(Unauthenticated, match="unknown API key"):
        keys.caller_from_token(session, key[:-2] + "xx", SECRET)
    assert scrypt_calls == []


@pytest.mark.parametrize("bad", ["gm_nothex00_abc", "gm_0000000\x00_abc", "gm_00000000_",
                                 "Bearer gm", "gm_00000000"])
def test_a_malformed_key_is_refused_before_any_query(session: Session, bad: str) -> None:
    with pytest.raises(Unauthenticated, match="malformed API key"):
        keys.caller_from_token(session, bad, SECRET)


def test_revoked_and_expired_keys_are_refused_at_once_saying_so(session: Session) -> None:
    revoked = keys.create_key(session, role="viewer", secret=SECRET)
    expired = keys.create_key(session, role="viewer", secret=SECRET,
                              expires_at=datetime.now(UTC) + timedelta(days=1))
    assert keys.caller_from_token(session, revoked, SECRET).role == "viewer"
    assert keys.caller_from_token(session, expired, SECRET).role == "viewer"
    keys.revoke_key(session, revoked.split("_")[1])
    session.execute(text("UPDATE api_key SET expires_at = now() - interval '1 minute' "
                         "WHERE prefix = :p"), {"p": expired.split("_")[1]})
    for key, word in ((revoked, "was revoked on"), (expired, "expired on")):
        with pytest.raises(Unauthenticated, match=word) as refused:
            keys.caller_from_token(session, key, SECRET)
        assert key.split("_", 2)[2] not in refused.value.message
        assert key.split("_")[1] not in refused.value.message
        assert keys.caller_for_login(session, key, SECRET) is None


def test_a_session_cookie_ends_with_its_key_expiry(session: Session) -> None:
    key = keys.create_key(session, role="planner", secret=SECRET,
                          expires_at=datetime.now(UTC) + timedelta(hours=1))
    caller = keys.caller_from_token(session, key, SECRET)
    cookie = keys.create_session_token(caller, SECRET, hours=12)
    assert keys.caller_from_session(session, cookie, SECRET) == caller
    session.execute(text("UPDATE api_key SET expires_at = now() - interval '1 second'"))
    assert keys.caller_from_session(session, cookie, SECRET).is_anonymous


def test_last_use_is_stamped_at_most_hourly(session: Session) -> None:
    key = keys.create_key(session, role="viewer", secret=SECRET)
    assert _row(session, key).last_used_at is None
    keys.caller_from_token(session, key, SECRET)
    first = _row(session, key).last_used_at
    assert first is not None
    session.execute(text("UPDATE api_key SET last_used_at = now() - interval '30 minutes'"))
    keys.caller_from_token(session, key, SECRET)
    assert _row(session, key).last_used_at == first - timedelta(minutes=30)
    session.execute(text("UPDATE api_key SET last_used_at = now() - interval '2 hours'"))
    keys.caller_from_token(session, key, SECRET)
    assert _row(session, key).last_used_at == first


def test_region_is_stored_for_every_role_and_must_exist(session: Session) -> None:
    region = make_region(session).code
    for role in ("admin", "viewer"):
        key = keys.create_key(session, role=role, region_code=region, secret=SECRET)
        assert keys.caller_from_token(session, key, SECRET).region_code == region
    with pytest.raises(InvalidInput, match="unknown region code '999999999999'"):
        keys.create_key(session, role="admin", region_code="999999999999", secret=SECRET)


def test_list_shows_keys_without_secrets_and_revoke_finds_them(session: Session) -> None:
    by_prefix = keys.create_key(session, role="viewer", label="前台", secret=SECRET)
    pasted = keys.create_key(session, role="planner", secret=SECRET)
    listed = {info.prefix: info for info in keys.list_keys(session)}
    info = listed[by_prefix.split("_")[1]]
    assert (info.role, info.label, info.revoked_at) == ("viewer", "前台", None)
    assert not any(by_prefix.split("_", 2)[2] in str(v) for v in vars(info).values())
    assert keys.revoke_key(session, info.prefix)[1] is True
    assert keys.revoke_key(session, str(info.id))[1] is False  # by id, already revoked
    assert keys.revoke_key(session, pasted)[0].role == "planner"  # the whole key pasted
    assert all(i.revoked_at is not None for i in keys.list_keys(session))
    with pytest.raises(NotFound, match="no key with id or prefix"):
        keys.revoke_key(session, "ffffffff")


def test_expiry_text() -> None:
    now = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert keys.expires_from_text("90d", now=now) == now + timedelta(days=90)
    assert keys.expires_from_text("12h", now=now) == now + timedelta(hours=12)
    assert keys.expires_from_text("2027-06-30", now=now) == datetime(
        2027, 6, 30, 16, 0, tzinfo=UTC)  # through 30 June in Beijing time
    for bad, words in (("soon", "not understood"), ("2026-12-02", "not in the future"),
                       ("0d", "not in the future")):
        with pytest.raises(InvalidInput, match=words):
            keys.expires_from_text(bad, now=now)


def test_a_key_cannot_be_made_already_expired(session: Session) -> None:
    with pytest.raises(InvalidInput, match="in the past"):
        keys.create_key(session, role="viewer", expires_at=datetime.now(UTC) - timedelta(1))
