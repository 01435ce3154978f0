"""Request dependencies as ``Annotated`` aliases; the request's session owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from gis import keys
from gis.callers import Caller
from gis.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="API key made by `gridmap keys create`")


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed once at the end, rolled back on any error."""
    with request.app.state.sessionmaker() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_caller(session: SessionDep,
               credentials: Annotated[HTTPAuthorizationCredentials | None,
                                      Depends(_bearer)]) -> Caller:
    """The caller behind the bearer key, or the anonymous public."""
    return keys.caller_from_token(session, credentials.credentials if credentials else None)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency that admits only ``roles`` (admin always)."""

    def _check(caller: CallerDep) -> Caller:
        return caller.require(*roles)

    return Depends(_check)
