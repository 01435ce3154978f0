"""The one place engine errors become HTTP answers: ``{"detail": ..., "code": ...}``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis.access import privacy
from gis.core import errors
from layers import login

log = logging.getLogger("gridmap.api")

STATUS = {
    errors.NotFound: 404,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.BadQueryParameter: 400,
    errors.InvalidInput: 422,
    errors.OutsideJurisdiction: 422,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.RateLimited: 429,
    errors.DatabaseUnavailable: 503,
    errors.ClusterUnavailable: 503,
}


def _status_of(exc: errors.GridmapError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _body(detail: object, code: str, **extra: object) -> dict:
    return {"detail": detail, "code": code, **extra}


QUERY_CANCELED = "57014"
"""PostgreSQL's SQLSTATE of a statement stopped by ``statement_timeout`` (psycopg2's
QueryCanceled); a cancel by an operator answers the same."""

PAGE_TITLES = {401: "需要登录", 403: "无权查看", 404: "未找到", 409: "数据冲突", 412: "数据已更新",
               422: "请求有误", 429: "请求过于频繁"}


def is_page(request: Request) -> bool:
    """True for the HTML map pages (``/map``, ``/map/...``), which answer people, not programs."""
    path = request.url.path
    return path == "/map" or path.startswith("/map/")


def _page_error(request: Request, exc: errors.GridmapError, status: int) -> Response:
    """On a map page: no key is a 303 to the login form (coming back here afterwards); any
    other refusal is a small Chinese page with the reason and a link to log in again."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if status == 401 and request.url.path != login.LOGIN_URL:  # no redirect loop on a bad header
        return RedirectResponse(login.login_href(here), status_code=303)
    caller = getattr(request.state, "caller", None)
    page = login.notice_page(PAGE_TITLES.get(status, "无法显示"), mask_quoted(exc.message),
                             next_url=here if status == 403 else None, caller=caller)
    return HTMLResponse(page, status_code=status, headers=_headers(exc))


async def _gridmap_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.GridmapError)
    status = _status_of(exc)
    # a page's 401/403 always answers the person; other errors stay JSON for programs unless
    # a browser asks for HTML
    if is_page(request) and (status in (401, 403)
                             or "text/html" in request.headers.get("accept", "")):
        return _page_error(request, exc, status)
    return JSONResponse(_body(mask_quoted(exc.message), exc.code, **exc.details),
                        status_code=status, headers=_headers(exc))


_ID_OR_MOBILE = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")
"""An 18-digit ID number or a mobile phone: never a code of gridmap's (grid codes have 15
digits, region codes 12), so a message quoting one quotes what a caller sent."""


def mask_quoted(message: str) -> str:
    """``message`` with the ID numbers and mobile phones it quotes (a caller's input: "unknown
    channel '…'") masked as gis.access.privacy masks them; grid and region codes stay."""
    return _ID_OR_MOBILE.sub(lambda m: privacy.mask_in_text(m.group()) or "", message)


def _headers(exc: errors.GridmapError) -> dict[str, str] | None:
    if isinstance(exc, errors.Unauthenticated):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, errors.RateLimited):
        return {"Retry-After": str(exc.details["retry_after"])}
    return None


def _wants_page(request: Request) -> bool:
    """A person's browser on a map page (it asks for HTML), not a program."""
    return is_page(request) and "text/html" in request.headers.get("accept", "")


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own answers (an unknown URL, a wrong method): a Chinese page for a person
    on a map page, the usual JSON otherwise."""
    assert isinstance(exc, StarletteHTTPException)
    if _wants_page(request):
        message = "没有这个页面：请从菜单进入。" if exc.status_code == 404 else str(exc.detail)
        return HTMLResponse(login.notice_page(PAGE_TITLES.get(exc.status_code, "无法显示"),
                                              message), status_code=exc.status_code)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _wants_page(request):
        names = "、".join(str(e["loc"][-1]) for e in exc.errors())
        return HTMLResponse(login.notice_page(PAGE_TITLES[422], f"网址中的参数有误（{names}）："
                                              "请从页面上的链接或菜单进入。"), status_code=422)
    if request.url.path.startswith("/ogc"):  # OGC API answers bad parameters with 400
        return JSONResponse(_body(validation_problems(exc), "bad_parameter"), status_code=400)
    return JSONResponse(_body(validation_problems(exc), "invalid_input"), status_code=422)


HIDDEN = "…"
"""Stands in for what the caller sent, wherever a validation message would repeat it."""
_SHORTEST_HIDDEN = 4
"""Sent strings shorter than this are left in messages ('a', 'id' would erase words)."""


def validation_problems(exc: RequestValidationError) -> str:
    """'loc: msg; …' of every problem, never what the caller sent: pydantic's ``input`` and
    ``ctx`` are left out, sent values that a message or a location repeats (a union's tag, a
    validator's ``ValueError``, a dict's key) become '…', and any personal number left is
    masked (gis.access.privacy): the body may be logged, and may reach someone else."""
    return privacy.mask_in_text("; ".join(_problem(e) for e in exc.errors())) or ""


def _problem(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error["loc"]]
    # a dict's key, sent by the caller, sits just before pydantic's '[key]' marker
    loc = [HIDDEN if loc[i + 1:i + 2] == ["[key]"] else part for i, part in enumerate(loc)]
    message = str(error["msg"])
    for sent in sorted(set(_sent_strings(error.get("input"))), key=len, reverse=True):
        message = message.replace(sent, HIDDEN)
    return f"{'.'.join(loc)}: {message}"


def _sent_strings(value: object, depth: int = 0) -> Iterator[str]:
    """The scalar values inside ``value`` (what one field of a request held), as text."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        if len(str(value)) >= _SHORTEST_HIDDEN:
            yield str(value)
    elif isinstance(value, Mapping) and depth < 3:
        for item in value.values():
            yield from _sent_strings(item, depth + 1)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, str)) and depth < 3:
        for item in value:
            yield from _sent_strings(item, depth + 1)


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    # never echo the database's message: it can carry values of other rows
    log.warning("integrity error: %s", type(exc).__name__)
    return JSONResponse(_body("the change conflicts with existing data (duplicate code or a "
                              "reference to something that does not exist)", "conflict"),
                        status_code=409)


async def _stale_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(_body("someone else changed this object first; reload and retry",
                              "conflict"), status_code=409)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if getattr(getattr(exc, "orig", None), "pgcode", None) == QUERY_CANCELED:
        return _timeout(request)
    log.error("database error: %s", type(exc).__name__)
    return JSONResponse(_body("the database could not answer this request", "database_error"),
                        status_code=503)


def _timeout(request: Request) -> JSONResponse:
    """A statement cut off by the request kind's ``statement_timeout`` (api.deps)."""
    kind, ms = getattr(request.state, "statement_timeout", ("", 0))
    log.warning("statement timeout (%s, %d ms) on %s %s", kind, ms, request.method,
                request.url.path)
    setting = f"GRIDMAP_STATEMENT_TIMEOUT_{kind.upper()}_MS" if kind else "statement_timeout"
    return JSONResponse(_body(f"the database stopped this request after {ms / 1000:g} s, "
                              f"the most a {kind or 'request'} may take ({setting}); ask for "
                              "less at once (a smaller bbox, limit, file or area) or try again "
                              "later", "timeout"), status_code=504)


async def _pandas_database_error(request: Request, exc: Exception) -> JSONResponse:
    """pandas' read_sql wraps the database's error: answer as for that one."""
    cause = exc.__cause__
    return await _database_error(request, cause if isinstance(cause, DBAPIError) else exc)


_NUL_MESSAGE = "A string literal cannot contain NUL"


async def _value_error(request: Request, exc: Exception) -> JSONResponse:
    """psycopg2 refuses NUL characters in text with a plain ValueError: that is bad input."""
    if str(exc).startswith(_NUL_MESSAGE):
        return JSONResponse(_body("text values must not contain NUL (\\u0000) characters",
                                  "invalid_input"), status_code=422)
    raise exc


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(errors.GridmapError, _gridmap_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(pd.errors.DatabaseError, _pandas_database_error)
    app.add_exception_handler(ValueError, _value_error)
