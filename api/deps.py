"""Request dependencies as ``Annotated`` aliases; the request's session owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from gis.access import keys
from gis.access.callers import Caller
from gis.core import paging
from gis.core.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="API key made by `gridmap keys create`")


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed once when the handler returns, rolled back on any
    error. Used with ``scope="function"`` (SessionDep), so the commit runs before the answer is
    sent: a 2xx means the write is durable, and a failed commit becomes the error answer
    (503/409 by api/errors.py) instead of a 2xx for a lost write."""
    with request.app.state.sessionmaker() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def check_page_size(request: Request, settings: SettingsDep) -> None:
    """The app's page-size cap (``settings.max_page_size``) on the ``limit`` query parameter,
    the page size of every list route: installed once for the whole app by create_app, so no
    list route can forget it. Values that are not whole numbers are left to the route's own
    validation (a 422 there)."""
    limit = request.query_params.get("limit", "").strip()
    if limit.isdigit():
        paging.check_page(int(limit), 0, max_size=settings.max_page_size)


SESSION_COOKIE = "gridmap_key"
"""The map pages' login cookie: a signed session token (gis.access.keys), never the key itself."""
COOKIE_METHODS = frozenset({"GET", "HEAD"})
"""CSRF rule: the login cookie only authorises reading (pages, data). A browser sends cookies
with requests other sites make it send, so anything that changes data (POST/PUT/PATCH/DELETE
under /api/v1 and /open311) needs the ``Authorization: Bearer`` header, which it never adds
by itself. SameSite=Strict on the cookie is the second fence, not the only one."""


async def get_server_secret(request: Request) -> bytes:
    """The server secret (signs login cookies, keys the API-key digests), read once per app."""
    secret = getattr(request.app.state, "server_secret", None)
    if secret is None:
        secret = keys.server_secret(request.app.state.settings)
        request.app.state.server_secret = secret
    return secret


ServerSecretDep = Annotated[bytes, Depends(get_server_secret)]


def get_caller(request: Request, session: SessionDep, secret: ServerSecretDep,
               credentials: Annotated[HTTPAuthorizationCredentials | None,
                                      Depends(_bearer)]) -> Caller:
    """The caller behind the bearer key (it wins), else behind the login cookie on a GET/HEAD,
    else the anonymous public. A bad, revoked or expired key is 401; a bad or stale cookie
    is just anonymous."""
    if credentials is not None:
        caller = keys.caller_from_token(session, credentials.credentials, secret)
    elif request.cookies.get(SESSION_COOKIE) and request.method in COOKIE_METHODS:
        caller = keys.caller_from_session(session, request.cookies[SESSION_COOKIE], secret)
    else:
        caller = keys.caller_from_token(session, None)
    request.state.caller = caller  # error pages say who is logged in
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]

