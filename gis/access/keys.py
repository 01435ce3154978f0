"""API keys: made once, stored as a salted scrypt hash, checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access.callers import ANONYMOUS, Caller
from gis.core.errors import InvalidInput, Unauthenticated
from gis.core.settings import Settings
from gis.models import ApiKey, Region
from gis.models.security import ROLES

_PREFIX_LEN = 8


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1).hex()


def create_key(session: Session, *, role: str, region_code: str | None = None,
               label: str | None = None) -> str:
    """Make a key for ``role`` limited to ``region_code``; returns the plaintext, shown once."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}': use one of {', '.join(ROLES)}")
    if region_code is not None and session.scalar(
            select(Region.id).where(Region.code == region_code)) is None:
        raise InvalidInput(f"unknown region code '{region_code}'")
    prefix = secrets.token_hex(_PREFIX_LEN // 2)
    secret = secrets.token_urlsafe(24)
    salt = secrets.token_hex(16)
    session.add(ApiKey(prefix=prefix, salt=salt, hash=_hash(secret, salt), role=role,
                       region_code=region_code, label=label))
    session.flush()
    return f"gm_{prefix}_{secret}"


def caller_from_token(session: Session, token: str | None) -> Caller:
    """The caller a bearer token stands for; no token is the anonymous public."""
    if not token:
        return ANONYMOUS
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "gm":
        raise Unauthenticated("malformed API key: expected 'gm_<prefix>_<secret>'")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1],
                                              ApiKey.revoked_at.is_(None)))
    if key is None or not hmac.compare_digest(key.hash, _hash(parts[2], key.salt)):
        raise Unauthenticated("unknown or revoked API key")
    return Caller(role=key.role, region_code=key.region_code, key_id=key.id)


# Map-page sessions: a signed token (key id + expiry, HMAC-SHA256 with the server secret) so
# the browser never holds the key itself. The standard library's hmac is all this needs; a
# JWT library would add algorithm negotiation we do not want.
_SESSION_VERSION = "s1"


def server_secret(settings: Settings) -> bytes:
    """``settings.secret_key``, or a random secret kept in ``<home>/secret`` (made once, 0600)."""
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
    """The caller of a valid, unexpired token whose key is not revoked; anonymous otherwise
    (a stale cookie must not break a page: the person just logs in again)."""
    parts = (token or "").split(".")
    if len(parts) != 4 or parts[0] != _SESSION_VERSION or not parts[1].isdigit() \
            or not parts[2].isdigit():
        return ANONYMOUS
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _signature(secret, body)):
        return ANONYMOUS
    if int(parts[2]) < (now if now is not None else time.time()):
        return ANONYMOUS
    key = session.scalar(select(ApiKey).where(ApiKey.id == int(parts[1]),
                                              ApiKey.revoked_at.is_(None)))
    if key is None:
        return ANONYMOUS
    return Caller(role=key.role, region_code=key.region_code, key_id=key.id)


def caller_for_login(session: Session, key: str) -> Caller | None:
    """The key holder typing ``key`` into the login form, or None for a wrong/revoked key."""
    try:
        caller = caller_from_token(session, key.strip())
    except Unauthenticated:
        return None
    return None if caller.is_anonymous else caller
