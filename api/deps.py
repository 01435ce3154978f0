"""Request dependencies as ``Annotated`` aliases; the request's session owns the transaction."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api import ratelimits
from gis.access import keycheck, keys
from gis.access.callers import ANONYMOUS, Caller
from gis.core import db, paging
from gis.core.errors import Forbidden, Unauthenticated
from gis.core.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="API key made by `gridmap keys create`")


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: committed once when the handler returns, rolled back on any
    error. Used with ``scope="function"`` (SessionDep), so the commit runs before the answer is
    sent: a 2xx means the write is durable, and a failed commit becomes the error answer
    (503/409 by api/errors.py) instead of a 2xx for a lost write. Making a session does no I/O,
    so it is made on the event loop; the end (commit or rollback, and the connection back to
    the pool) takes one trip to the thread pool, none when the request never used it."""
    session = request.app.state.sessionmaker()
    try:
        yield session
    except Exception:
        await run_in_threadpool(_end, session, commit=False)
        raise
    except BaseException:  # cancelled: end it here, awaiting is no longer possible
        _end(session, commit=False)
        raise
    if session.in_transaction():
        await run_in_threadpool(_end, session, commit=True)
    else:
        session.close()


def _end(session: Session, *, commit: bool) -> None:
    with session:
        if not commit:
            session.rollback()
            return
        try:
            session.commit()
        except Exception:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def check_page_size(request: Request) -> None:
    """The app's page-size cap (``settings.max_page_size``) on the ``limit`` query parameter,
    the page size of every list route: installed once for the whole app by create_app, so no
    list route can forget it. Values that are not whole numbers are left to the route's own
    validation (a 422 there). Settings come from the app's state, not SettingsDep: each
    dependency FastAPI solves costs every request (locate at hotline rates) microseconds."""
    settings: Settings = request.app.state.settings
    limit = request.query_params.get("limit", "").strip()
    if request.scope["path"].startswith("/ogc/"):  # not request.url: it quotes and parses
        return  # OGC API clamps an oversized limit instead (api/ogc.py), as its standard asks
    if limit.isdigit():
        paging.check_page(int(limit), 0, max_size=settings.max_page_size)


READ_METHODS = frozenset({"GET", "HEAD"})
LONG_PREFIXES = ("/api/v1/import/", "/api/v1/plans", "/map/plans")
"""Writes under these paths (imports; plan drafts, edits and applies) get the long timeout."""


def statement_timeout(method: str, path: str, settings: Settings) -> tuple[str, int]:
    """The request kind ('read', 'write' or 'long') and its ``statement_timeout`` in ms."""
    if method in READ_METHODS:
        return "read", settings.statement_timeout_read_ms
    if path.startswith(LONG_PREFIXES):
        return "long", settings.statement_timeout_long_ms
    return "write", settings.statement_timeout_write_ms


async def set_statement_timeout(request: Request, session: SessionDep
                                ) -> AsyncIterator[None]:
    """The request kind's ``statement_timeout`` for each of the session's transactions
    (gis.core.db.set_statement_timeout: set on the connection only when it runs under another
    value), installed for the whole app by create_app. A statement cut off answers 504
    (api.errors)."""
    kind, ms = statement_timeout(request.method, request.scope["path"],
                                 request.app.state.settings)
    request.state.statement_timeout = (kind, ms)
    if session.in_transaction():  # a session shared across requests (the tests')
        await run_in_threadpool(db.set_statement_timeout, session, ms)
    else:
        session.info[db.TIMEOUT_KEY] = ms
    try:
        yield
    finally:  # a session shared across requests must not keep this request's
        session.info.pop(db.TIMEOUT_KEY, None)


SESSION_COOKIE = "gridmap_key"
"""The map pages' login cookie: a signed session token (gis.access.keys), never the key itself."""
COOKIE_METHODS = frozenset({"GET", "HEAD"})
"""CSRF rule: the login cookie alone only authorises reading (pages, data). A browser sends
cookies with requests other sites make it send, so a write (POST/PUT/PATCH/DELETE) with the
cookie also needs ``X-CSRF-Token`` (keys.csrf_token of that cookie, which the page carries in
``<meta name="gm-csrf">``) and, when the browser says where it comes from, an ``Origin`` of
this site; or else the ``Authorization: Bearer`` header, which a browser never adds by
itself. SameSite=Strict on the cookie is a further fence, not the only one."""
CSRF_HEADER = "X-CSRF-Token"


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
    client_key = None if credentials is not None else gis_client_key(request)
    if credentials is not None:
        caller = caller_of_key(request, session, credentials.credentials, secret)
    elif client_key is not None:
        caller = caller_of_key(request, session, client_key, secret)
    elif request.cookies.get(SESSION_COOKIE) and request.method in COOKIE_METHODS:
        caller = keys.caller_from_session(session, request.cookies[SESSION_COOKIE], secret)
    elif request.cookies.get(SESSION_COOKIE) and CSRF_HEADER.lower() in request.headers:
        caller = _page_writer(request, session, secret)
    else:
        caller = keys.caller_from_token(session, None)
    request.state.caller = caller  # error pages say who is logged in
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
GIS_CLIENT_PATHS = ("/ogc", "/tiles/")
"""Reads where a key may also come as ``?key=`` or HTTP Basic: QGIS and GDAL of any version
can send those but not always a Bearer header. Keys in URLs are masked in the access log
(api/logmask.py)."""


def gis_client_key(request: Request) -> str | None:
    """The API key of a GIS client's read: ``?key=`` or the password (else the user name) of
    HTTP Basic, on /ogc and /tiles GETs only; None otherwise."""
    if request.method not in COOKIE_METHODS or not request.url.path.startswith(GIS_CLIENT_PATHS):
        return None
    if request.query_params.get("key"):
        return request.query_params["key"]
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise Unauthenticated("malformed HTTP Basic credentials") from None
    return password or user or None


def _same_origin(request: Request) -> bool:
    """No ``Origin`` header (same-origin GETs, old browsers) or one naming this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def _page_writer(request: Request, session: Session, secret: bytes) -> Caller:
    """The logged-in person behind a page's write: the cookie's caller when the CSRF token
    matches the cookie and the request comes from this site, else 403 (a stale page, or a
    request another site forged). Writes count against the key's rate limit as with Bearer."""
    token = request.cookies[SESSION_COOKIE]
    if not _same_origin(request) or not keys.csrf_matches(
            token, request.headers.get(CSRF_HEADER), secret):
        raise Forbidden("页面凭据已失效，请刷新页面后重试 (CSRF token missing or stale: "
                        "reload the page)")
    caller = keys.caller_from_session(session, token, secret)
    if caller.is_anonymous:
        raise Unauthenticated("登录已过期，请重新登录 (session expired: log in again)")
    ratelimits.of(request).write(request, caller)
    return caller


def get_page_csrf(request: Request, secret: ServerSecretDep) -> str | None:
    """The CSRF token a page embeds for its writes (None without a login cookie)."""
    token = request.cookies.get(SESSION_COOKIE)
    return keys.csrf_token(token, secret) if token else None


PageCsrfDep = Annotated[str | None, Depends(get_page_csrf)]



def caller_of_key(request: Request, session: Session, key: str, secret: bytes) -> Caller:
    """The caller of an API key sent with ``request``, under the rate limits: an address past
    its wrong-key limit is 429 before the key is looked at, a wrong key is counted and
    logged, a write is counted against its key (api.ratelimits)."""
    limits = ratelimits.of(request)
    limits.check_address(request)
    try:
        caller = keys.caller_from_token(session, key, secret)
    except Unauthenticated as exc:
        limits.wrong_key(request, exc.message)
        raise
    limits.write(request, caller)
    return caller


def fresh_engine(session: Session) -> Engine | None:
    """The engine of a server request's session that has not touched the database yet (None
    for any other: one inside a transaction, or bound to a connection as the tests' are)."""
    bind = session.get_bind()
    if session.in_transaction() or not isinstance(bind, Engine):
        return None
    return bind


async def get_tile_caller(request: Request, session: SessionDep, secret: ServerSecretDep,
                          credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                 Depends(_bearer)]) -> Caller:
    """``get_caller`` for the tile routes: an anonymous caller (no key, no cookie) costs no
    database round trip, on the event loop; a key is checked at every request (a revoked key
    stops at once), by ``check_tile_caller`` when the request's session is the server's own
    (it is then left untouched for the tile), else, and a cookie always, in the request's
    session as get_caller. A check made already for this request (api.cachedtiles, before
    routing, on a tile it did not hold) is taken as it came out: its caller, or its error
    raised now."""
    checked = getattr(request.state, CHECKED_CALLER, None)
    keyed = credentials is not None or gis_client_key(request) is not None
    if checked is None and keyed and not request.cookies.get(SESSION_COOKIE):
        engine = fresh_engine(session)
        if engine is not None:
            await check_tile_caller(request, engine)
            checked = getattr(request.state, CHECKED_CALLER, None)
    if isinstance(checked, Caller):
        return checked
    if isinstance(checked, Exception):
        raise checked
    if not keyed and not request.cookies.get(SESSION_COOKIE):
        request.state.caller = ANONYMOUS
        return ANONYMOUS
    return await run_in_threadpool(get_caller, request, session, secret, credentials)


async def check_tile_caller(request: Request, engine: Engine) -> Caller | None:
    """The caller of a keyed tile request (no login cookie) checked apart from the request's
    session: on this process's key connection (gis.access.keycheck: one statement, awaited on
    the event loop), or, when that cannot decide (an unknown key, a digest to stamp, no key
    connection), on a pooled connection of its own in autocommit (``_caller_apart``). The
    outcome is kept in ``request.state`` for the route, so a key is checked (and a wrong one
    counted) once. None when the check failed."""
    credentials = await _bearer(request)
    secret = await get_server_secret(request)
    try:
        caller = await _caller_quick(request, secret, credentials)
        if caller is None:
            caller = await run_in_threadpool(_caller_apart, request, engine, secret,
                                             credentials)
    except Exception as exc:  # the route raises it, mapped to its answer (api.errors)
        setattr(request.state, CHECKED_CALLER, exc)
        return None
    setattr(request.state, CHECKED_CALLER, caller)
    request.state.caller = caller
    return caller


async def _caller_quick(request: Request, secret: bytes,
                        credentials: HTTPAuthorizationCredentials | None) -> Caller | None:
    """``caller_of_key`` on the key connection; None when it cannot decide."""
    checks: keycheck.KeyChecks | None = getattr(request.app.state, "key_checks", None)
    key = credentials.credentials if credentials is not None else gis_client_key(request)
    if checks is None or not key:
        return None
    limits = ratelimits.of(request)
    limits.check_address(request)
    try:
        caller = await checks.caller(key, secret)
    except Unauthenticated as exc:
        limits.wrong_key(request, exc.message)
        raise
    if caller is not None:
        limits.write(request, caller)
    return caller


CHECKED_CALLER = "tile_caller"


def _caller_apart(request: Request, engine: Engine, secret: bytes,
                  credentials: HTTPAuthorizationCredentials | None) -> Caller:
    # psycopg2's own autocommit, not SQLAlchemy's isolation level: that one sets and resets
    # the session's characteristics with two statements each (four round trips more)
    with engine.connect() as conn, Session(bind=conn) as session:
        dbapi: Any = conn.connection.dbapi_connection
        dbapi.autocommit = True
        try:
            caller = get_caller(request, session, secret, credentials)
            session.commit()  # nothing left to commit: keeps the connection's settings
        finally:
            dbapi.autocommit = False
        return caller


TileCallerDep = Annotated[Caller, Depends(get_tile_caller)]
