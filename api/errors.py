"""The one place engine errors become HTTP answers: ``{"detail": ..., "code": ...}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from gis import errors

log = logging.getLogger("gridmap.api")

STATUS = {
    errors.NotFound: 404,
    errors.PayloadTooLarge: 413,
    errors.InvalidInput: 422,
    errors.OutsideJurisdiction: 422,
    errors.Conflict: 409,
    errors.Unauthenticated: 401,
    errors.Forbidden: 403,
    errors.DatabaseUnavailable: 503,
}


def _status_of(exc: errors.GridmapError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _body(detail: object, code: str, **extra: object) -> dict:
    return {"detail": detail, "code": code, **extra}


async def _gridmap_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.GridmapError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, errors.Unauthenticated) else None
    return JSONResponse(_body(exc.message, exc.code, **exc.details), status_code=_status_of(exc),
                        headers=headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return JSONResponse(_body("; ".join(problems), "invalid_input"), status_code=422)


async def _integrity_error(_: Request, exc: Exception) -> JSONResponse:
    # never echo the database's message: it can carry values of other rows
    log.warning("integrity error: %s", type(exc).__name__)
    return JSONResponse(_body("the change conflicts with existing data (duplicate code or a "
                              "reference to something that does not exist)", "conflict"),
                        status_code=409)


async def _stale_error(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(_body("someone else changed this object first; reload and retry",
                              "conflict"), status_code=409)


async def _database_error(_: Request, exc: Exception) -> JSONResponse:
    log.error("database error: %s", type(exc).__name__)
    return JSONResponse(_body("the database could not answer this request", "database_error"),
                        status_code=503)


def install(app: FastAPI) -> None:
    """Register every handler on ``app``."""
    app.add_exception_handler(errors.GridmapError, _gridmap_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale_error)
    app.add_exception_handler(DBAPIError, _database_error)
