"""API keys: made once, recognised per request by a keyed digest, listed, revoked, expiring.

A key is ``gm_<prefix>_<secret>`` with a 192-bit random secret. Because the secret is random
and long, a slow password hash buys nothing per request: every request computes
HMAC-SHA256(server secret, key) (a microsecond) and finds the row through the unique index on
``api_key.digest`` in one query that also checks revocation and expiry (gis/core/sql/
key_verify.sql), so a revoke or an expiry takes effect on the next request, with no cache;
last use is stamped at most once an hour. (Keyed tiles hold a key found valid until a change
to any key is announced: gis.access.keycheck.)
The salted scrypt hash is still stored: it proves a key once when its row has no digest for
the running server secret (keys older than migration 0008, a key made by a command line that
read another secret, a rotated secret), and that request stamps the digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from gis.access import keywatch
from gis.access.callers import ANONYMOUS, Caller
from gis.core import clock, dates, sql
from gis.core.errors import InvalidInput, NotFound, Unauthenticated
from gis.core.settings import Settings, get_settings
from gis.models import ApiKey, Region
from gis.models.security import ROLES

_PREFIX_LEN = 8
_PREFIX = re.compile(r"[0-9a-f]{8}")
_DIGEST_VERSION = "h1"
_MALFORMED = "malformed API key: expected 'gm_<prefix>_<secret>'"
LOCAL_TZ = clock.LOCAL_TZ
"""Times shown to people (key lists, 401 messages) and dates typed by them (``--expires``)."""


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1).hex()


@lru_cache(maxsize=8)
def _secret_id(secret: bytes) -> str:
    """A short public name of the server secret: tells which secret stamped a digest."""
    return hmac.new(secret, b"gridmap-key-secret-id", hashlib.sha256).hexdigest()[:8]


def digest(key: str, secret: bytes) -> str:
    """``h1:<secret id>:<hex HMAC-SHA256(secret, key)>``, the value ``api_key.digest`` holds."""
    mac = hmac.new(secret, f"gridmap-key|{key}".encode(), hashlib.sha256).hexdigest()
    return f"{_DIGEST_VERSION}:{_secret_id(secret)}:{mac}"


def _default_secret() -> bytes:
    return server_secret(get_settings())


def create_key(session: Session, *, role: str, region_code: str | None = None,
               label: str | None = None, expires_at: datetime | None = None,
               secret: bytes | None = None) -> str:
    """Make a key for ``role`` limited to ``region_code`` (any role, admin too), valid until
    ``expires_at`` (None: until revoked); returns the plaintext, shown once. ``secret`` is
    the server secret (default: the one of the process settings)."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}': use one of {', '.join(ROLES)}")
    if region_code is not None and session.scalar(
            select(Region.id).where(Region.code == region_code)) is None:
        raise InvalidInput(f"unknown region code '{region_code}': "
                           "name an existing region (gridmap import regions …)")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise InvalidInput(f"expiry {_shown(expires_at)} is in the past")
    prefix = secrets.token_hex(_PREFIX_LEN // 2)
    secret_part = secrets.token_urlsafe(24)
    key = f"gm_{prefix}_{secret_part}"
    salt = secrets.token_hex(16)
    session.add(ApiKey(prefix=prefix, salt=salt, hash=_hash(secret_part, salt), role=role,
                       region_code=region_code, label=label, expires_at=expires_at,
                       digest=digest(key, secret if secret is not None else _default_secret())))
    session.flush()
    return key


def _prefix_of(key: str) -> str:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "gm" or not _PREFIX.fullmatch(parts[1]) or not parts[2]:
        raise Unauthenticated(_MALFORMED)
    return parts[1]


def checked_form(key: str) -> str:
    """``key`` when it has a key's form (``gm_<prefix>_<secret>``), else Unauthenticated."""
    _prefix_of(key)
    return key


def caller_from_token(session: Session, token: str | None,
                      secret: bytes | None = None) -> Caller:
    """The caller a bearer key stands for; no key is the anonymous public. An unknown,
    revoked or expired key is Unauthenticated, saying which of the three (never the key).
    ``secret`` is the server secret (default: the one of the process settings)."""
    if not token:
        return ANONYMOUS
    prefix = _prefix_of(token)
    secret = secret if secret is not None else _default_secret()
    wanted = digest(token, secret)
    row = _verified(session, wanted)
    if row is None and _stamp_digest(session, token, prefix, wanted, secret):
        row = _verified(session, wanted)
    if row is None:
        raise Unauthenticated("unknown API key")
    return _caller_of(session, row)


def _verified(session: Session, wanted: str) -> Any:
    row = session.execute(sql.statement("key_verify"), {"digest": wanted}).one_or_none()
    return row if row is not None and digest_matches(row.digest, wanted) else None


def digest_matches(found: str, wanted: str) -> bool:
    """Whether the digest of the row key_verify.sql found is the one asked for. The index
    lookup compared HMAC outputs, which tell nothing without the server secret; this
    constant-time check is the one that decides."""
    return hmac.compare_digest(found, wanted)


def _stamp_digest(session: Session, token: str, prefix: str, wanted: str,
                  secret: bytes) -> bool:
    """Prove ``token`` with its scrypt hash, once, when its row has no digest under this
    server secret, and store the digest. A row already stamped under this secret is not
    tried: a wrong key for a known prefix then costs no scrypt."""
    stamped_here = f"{_DIGEST_VERSION}:{_secret_id(secret)}:%"
    row = session.execute(select(ApiKey.id, ApiKey.salt, ApiKey.hash).where(
        ApiKey.prefix == prefix,
        or_(ApiKey.digest.is_(None), ApiKey.digest.not_like(stamped_here)))).one_or_none()
    if row is None or not hmac.compare_digest(row.hash, _hash(token.split("_", 2)[2], row.salt)):
        return False
    session.execute(update(ApiKey).where(ApiKey.id == row.id).values(digest=wanted))
    return True


def _caller_of(session: Session, row: Any) -> Caller:
    caller = caller_of_row(row)
    if row.stale:
        session.execute(sql.statement("key_touch"), {"id": row.id})
    return caller


def caller_of_row(row: Any) -> Caller:
    """The caller of a key's row as key_verify.sql reads it; Unauthenticated, saying which,
    when the key is revoked or expired."""
    if row.revoked_at is not None:
        raise Unauthenticated(f"this API key was revoked on {_shown(row.revoked_at)}; "
                              "ask your administrator for a new one")
    if row.expired:
        raise Unauthenticated(f"this API key expired on {_shown(row.expires_at)}; "
                              "ask your administrator for a new one")
    return Caller(role=row.role, region_code=row.region_code, key_id=row.id)


def _shown(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


_SPAN = re.compile(r"(\d+)([hdw])")
_SPAN_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def expires_from_text(value: str, *, now: datetime | None = None) -> datetime:
    """When a key given ``--expires VALUE`` expires: ``90d``/``12h``/``4w`` from ``now``, or
    ``YYYY-MM-DD`` (valid through that day, Asia/Shanghai). Must lie in the future."""
    now = now or datetime.now(UTC)
    value = value.strip()
    span = _SPAN.fullmatch(value)
    if span:
        try:
            moment = now + timedelta(**{_SPAN_UNITS[span[2]]: int(span[1])})
        except OverflowError:
            moment = datetime.max.replace(tzinfo=UTC)
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"expiry '{value}' not understood: write 90d, 12h, 4w or "
                               "YYYY-MM-DD") from None
        dates.check_day(day, "expiry")
        moment = datetime.combine(day + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    dates.check_moment(moment, "expiry")
    if moment <= now:
        raise InvalidInput(f"expiry '{value}' is not in the future")
    return moment


@dataclass(frozen=True)
class KeyInfo:
    """What ``gridmap keys list`` shows of a key: never the secret, its hash or digest."""

    id: int
    prefix: str
    role: str
    region_code: str | None
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


_INFO = (ApiKey.id, ApiKey.prefix, ApiKey.role, ApiKey.region_code, ApiKey.label,
         ApiKey.created_at, ApiKey.expires_at, ApiKey.revoked_at, ApiKey.last_used_at)


def list_keys(session: Session) -> list[KeyInfo]:
    """Every key, oldest first."""
    return [KeyInfo(**row._mapping) for row in session.execute(select(*_INFO).order_by(ApiKey.id))]


def revoke_key(session: Session, ref: str) -> tuple[KeyInfo, bool]:
    """Revoke the key named by ``ref`` (its id, its prefix, or the key itself); returns it and
    whether this call revoked it (False: it was revoked before). Takes effect at once."""
    ref = ref.strip()
    prefix = ref.split("_")[1] if ref.startswith("gm_") else ref  # a pasted key: its prefix
    wanted = [ApiKey.prefix == prefix]
    if ref.isdigit():
        wanted.append(ApiKey.id == int(ref))
    rows = session.execute(select(*_INFO).where(or_(*wanted))).all()
    if len(rows) != 1:
        raise NotFound(f"no key with id or prefix '{prefix}'" if not rows else
                       f"'{ref}' is both a key id and another key's prefix: use the prefix "
                       "of the one to revoke")
    info = KeyInfo(**rows[0]._mapping)
    if info.revoked_at is not None:
        return info, False
    session.execute(update(ApiKey).where(ApiKey.id == info.id).values(revoked_at=func.now()))
    # this process's held keys are forgotten at the commit, before the notification comes
    event.listen(session, "after_commit", _forget_held, once=True)
    return info, True


def _forget_held(_: Session) -> None:
    keywatch.forget_everywhere()


# Map-page sessions: a signed token (key id + expiry, HMAC-SHA256 with the server secret) so
# the browser never holds the key itself. The standard library's hmac is all this needs; a
# JWT library would add algorithm negotiation we do not want.
_SESSION_VERSION = "s1"


def server_secret(settings: Settings) -> bytes:
    """``settings.secret_key``, or a random secret kept in ``<home>/secret`` (made once, 0600).
    It signs login cookies and keys the API-key digests."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.home_dir() / "secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _signature(secret: bytes, body: str) -> str:
    digest = hmac.new(secret, f"gridmap-session|{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def create_session_token(caller: Caller, secret: bytes, *, hours: float = 12.0,
                         now: float | None = None) -> str:
    """A token standing for ``caller``'s key until ``hours`` from ``now`` (unix seconds)."""
    if caller.key_id is None:
        raise InvalidInput("only a key holder can log in")
    expires = int((now if now is not None else time.time()) + hours * 3600)
    body = f"{_SESSION_VERSION}.{caller.key_id}.{expires}"
    return f"{body}.{_signature(secret, body)}"


def caller_from_session(session: Session, token: str | None, secret: bytes, *,
                        now: float | None = None) -> Caller:
    """The caller of a valid, unexpired token whose key is neither revoked nor expired (one
    primary-key query, no scrypt); anonymous otherwise (a stale cookie must not break a page:
    the person just logs in again)."""
    parts = (token or "").split(".")
    if len(parts) != 4 or parts[0] != _SESSION_VERSION or not parts[1].isdigit() \
            or not parts[2].isdigit():
        return ANONYMOUS
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _signature(secret, body)):
        return ANONYMOUS
    if int(parts[2]) < (now if now is not None else time.time()):
        return ANONYMOUS
    row = session.execute(select(ApiKey.id, ApiKey.role, ApiKey.region_code).where(
        ApiKey.id == int(parts[1]), ApiKey.revoked_at.is_(None),
        or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > func.now()))).one_or_none()
    if row is None:
        return ANONYMOUS
    return Caller(role=row.role, region_code=row.region_code, key_id=row.id)


def csrf_token(session_token: str, secret: bytes) -> str:
    """The CSRF token of a map-page session: HMAC-SHA256 of the session token under the
    server secret (OWASP's signed double-submit, bound to the session). Pages carry it in
    ``<meta name="gm-csrf">`` and send it as the ``X-CSRF-Token`` header with each write; a
    forged cross-site request can send the cookie but can neither read nor compute this.
    Hand-written (a few lines of hmac) because starlette-csrf's plain double-submit cookie
    is not bound to the session and fastapi-csrf-protect wants a token per form render."""
    mac = hmac.new(secret, f"gridmap-csrf|{session_token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_matches(session_token: str, sent: str | None, secret: bytes) -> bool:
    """Whether ``sent`` is the CSRF token of ``session_token`` (constant-time)."""
    return bool(sent) and hmac.compare_digest(sent or "", csrf_token(session_token, secret))


def caller_for_login(session: Session, key: str, secret: bytes | None = None) -> Caller | None:
    """The key holder typing ``key`` into the login form, or None for a wrong, revoked or
    expired key."""
    try:
        caller = caller_from_token(session, key.strip(), secret)
    except Unauthenticated:
        return None
    return None if caller.is_anonymous else caller
