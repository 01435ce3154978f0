"""The peer for bench/keys: gridmap as it verified keys before migration 0008, every keyed
request finding its row by prefix and recomputing scrypt (n=2**14, r=8, p=1) to compare.
Served by uvicorn as ``bench.keys.scrypt_app:app``; everything but key checking is ours."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select

from api.deps import SessionDep, _bearer, get_caller
from api.main import create_app
from gis.access import keys
from gis.access.callers import ANONYMOUS, Caller
from gis.core.errors import Unauthenticated
from gis.models import ApiKey


def scrypt_caller(session: SessionDep, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    """The old ``caller_from_token``: prefix lookup, then scrypt on every request."""
    if credentials is None:
        return ANONYMOUS
    _, prefix, secret = credentials.credentials.split("_", 2)
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix,
                                              ApiKey.revoked_at.is_(None)))
    if key is None or not hmac.compare_digest(key.hash, keys._hash(secret, key.salt)):
        raise Unauthenticated("unknown or revoked API key")
    return Caller(role=key.role, region_code=key.region_code, key_id=key.id)


app = create_app()
app.dependency_overrides[get_caller] = scrypt_caller
