"""API keys: made once, stored as a salted scrypt hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.callers import ANONYMOUS, Caller
from gis.errors import InvalidInput, Unauthenticated
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
