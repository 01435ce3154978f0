"""Open311 GeoReport v2 (JSON): services, requests (GET, POST form or JSON), one request.

Errors answer in GeoReport's format, ``[{"code": <status>, "description": ...}]``, with the
matching HTTP status; a route class does the conversion so the handlers stay plain.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.deps import CallerDep, SessionDep
from api.errors import STATUS
from gis import errors, open311


def _status(exc: errors.GridmapError) -> int:
    return next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 400)


class Open311Route(APIRoute):
    """Renders gridmap's errors and validation errors as GeoReport v2 error arrays."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.GridmapError as exc:
                return _error(_status(exc), exc.message)
            except RequestValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                     for e in exc.errors())
                return _error(400, problems)

        return route


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": status, "description": description}], status_code=status)


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


@router.get("/services.json")
def list_services() -> list[dict]:
    """Service types: our event categories (service_code = category code)."""
    return open311.list_services()


@router.get("/requests.json")
def list_requests(session: SessionDep, service_request_id: str | None = None,
                  service_code: str | None = None, start_date: str | None = None,
                  end_date: str | None = None, status: str | None = None) -> list[dict]:
    """Service requests (no personal data): by ids, or the last 90 days by default."""
    return open311.list_requests(session, ids=service_request_id, service_code=service_code,
                                 start_date=start_date, end_date=end_date, status=status)


@router.post("/requests.json", status_code=201)
async def create_request(request: Request, session: SessionDep, caller: CallerDep) -> list:
    """Report an incident (form-encoded or JSON): service_code, lat/long or address_string
    or address_id, description, first_name/last_name/phone."""
    fields = await _fields(request)
    return open311.create_request(session, fields, actor=f"open311:{caller.name}")


@router.get("/requests/{service_request_id}.json")
def get_request(service_request_id: str, session: SessionDep) -> list[dict]:
    """One service request, as a one-element list."""
    return open311.get_request(session, service_request_id)


async def _fields(request: Request) -> dict:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise errors.InvalidInput("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise errors.InvalidInput("the JSON body must be an object of request fields")
        return body
    return dict(await request.form())
