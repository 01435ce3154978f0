"""Open311 GeoReport v2: discovery, services, requests (GET, POST form or JSON), one request.

Every resource answers in the format its path ends with, ``.xml`` (GeoReport's default) or
``.json``, from one handler. Errors answer in GeoReport's format, ``[{"code": <status>,
"description": ...}]`` or ``<errors><error><code/><description/></error></errors>``, with the
matching HTTP status; a route class does the conversion so the handlers stay plain.
Requests are events, which are not public: creating one needs a key of a role that may take
events (as ``POST /api/v1/events``), reading them a key of a role that may read events (as
``GET /api/v1/events``), and a region-scoped key sees only its region. The key comes as
``Authorization: Bearer`` or as GeoReport's ``api_key`` (a POST field, a GET query parameter).
Services and discovery stay public: they describe the endpoint, not incidents.

A POST may carry a photo as ``media`` (multipart/form-data, the common GeoReport extension);
``media_url`` of a request sent with one serves it at ``/open311/v2/requests/{id}/media``,
to whoever may read that request: anyone without a key (a reporter follows a case and sees
the photo they sent, as the request itself), a key only inside its region.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from api import access
from api.deps import CallerDep, ServerSecretDep, SessionDep, SettingsDep, caller_of_key
from api.errors import STATUS, mask_quoted, validation_problems
from api.routes.photos import IMAGE_TYPES, PhotoLimitsDep, image_answer, read_upload
from api.schemas.open311 import (
    Discovery,
    Open311Errors,
    Receipts,
    ServiceRequests,
    Services,
)
from gis.access.callers import Caller
from gis.core import errors
from gis.events import open311, photos

Format = Literal["xml", "json"]
XML_TYPE = "text/xml"  # GeoReport's content type; Starlette adds "; charset=utf-8"
CHILD_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
              "endpoints": "endpoint", "formats": "format"}
"""The element each list item becomes inside its parent, per the GeoReport v2 XML examples."""
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all (escaping does not help); sent as U+FFFD."""
API_KEY = "api_key"
"""GeoReport's name for the key, as a POST field or a GET query parameter."""


def _status(exc: errors.GridmapError) -> int:
    """gridmap's status for ``exc``, but 400 where gridmap says 422: GeoReport v2 answers
    every invalid request (unknown service_code, missing or bad field) with 400."""
    status = next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 400)
    return 400 if status == 422 else status


class Open311Route(APIRoute):
    """Renders gridmap's errors and validation errors as GeoReport v2 error arrays, in the
    format the path asks for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            fmt: Format = "xml" if request.url.path.endswith(".xml") else "json"
            _hide_api_key(request)
            try:
                return await handler(request)
            except errors.GridmapError as exc:
                answer = error_response(_status(exc), exc.message, fmt)
                if isinstance(exc, errors.RateLimited):
                    answer.headers["Retry-After"] = str(exc.details["retry_after"])
                return answer
            except RequestValidationError as exc:
                return error_response(400, validation_problems(exc), fmt)

        return route


def _hide_api_key(request: Request) -> None:
    """Keep a GET's ``api_key`` out of the access log. uvicorn logs the path with the query
    string it finds in the ASGI scope once the answer starts, so the key is masked there; the
    request's query parameters were read (and cached on ``request``) first, and the handler's
    dependencies read that cache, so they still see it."""
    params = request.query_params
    if API_KEY in params:
        pairs = parse_qsl(request.scope["query_string"].decode("latin-1"),
                          keep_blank_values=True)
        request.scope["query_string"] = urlencode(
            [(k, "***" if k == API_KEY else v) for k, v in pairs], safe="*").encode("ascii")


def _element(tag: str, value: Any) -> ET.Element:
    """``value`` as element ``tag``: dicts and lists nest, None is empty, booleans are
    'true'/'false'; ElementTree does the escaping."""
    node = ET.Element(tag)
    if isinstance(value, dict):
        node.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        node.extend(_element(CHILD_TAGS.get(tag, "item"), item) for item in value)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = _NOT_XML.sub("\ufffd", str(value))
    return node


def _answer(data: Any, fmt: Format, root: str, status_code: int = 200) -> Response:
    """``data`` as JSON, or as an XML document under ``root`` (UTF-8, declared)."""
    if fmt == "json":
        return JSONResponse(data, status_code=status_code)
    body = ET.tostring(_element(root, data), encoding="UTF-8", xml_declaration=True)
    return Response(body, status_code=status_code, media_type=XML_TYPE)


def error_response(status: int, description: str, fmt: Format) -> Response:
    """GeoReport's error array; ID numbers and phones a description quotes are masked."""
    description = mask_quoted(description)
    answer = _answer([{"code": status, "description": description}], fmt, "errors", status)
    if status == 401:
        answer.headers["WWW-Authenticate"] = "Bearer"
    return answer


async def get_fields(request: Request) -> dict[str, Any]:
    """The POST's fields, form-encoded (GeoReport's way) or a JSON object."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                raise errors.InvalidInput("the body is not valid JSON") from None
            if not isinstance(body, dict):
                raise errors.InvalidInput("the JSON body must be an object of request fields")
            return body
        return dict(await request.form())
    except ClientDisconnect:  # gone, or cut off by api/bodylimit.py (which answered 413)
        raise errors.InvalidInput("the request body did not arrive whole") from None


FieldsDep = Annotated[dict[str, Any], Depends(get_fields)]


def key_holder(request: Request, session: Session, secret: bytes, caller: Caller,
               api_key: object, roles: tuple[str, ...], doing: str) -> Caller:
    """Who calls: the Bearer key (or a map login cookie on a GET; they win), else GeoReport's
    ``api_key``; with one of ``roles`` (admin always). No key is 401 saying how to send one,
    an unknown one 401, a wrong role 403. The key itself never goes into a message."""
    if caller.is_anonymous and api_key:
        key = str(api_key).strip()
        if "\x00" in key:  # PostgreSQL text cannot hold it: no key can match
            raise errors.Unauthenticated("malformed API key: expected 'gm_<prefix>_<secret>'")
        caller = caller_of_key(request, session, key, secret)
    if caller.is_anonymous:
        raise errors.Unauthenticated(
            f"{doing} needs an API key: send it as {API_KEY} or as 'Authorization: Bearer "
            f"<key>' (ask your administrator for a key of role {' or '.join(roles)}; "
            "需要 API 密钥)")
    return access.check_role(caller, roles)


def get_reporter(request: Request, session: SessionDep, secret: ServerSecretDep,
                 caller: CallerDep, fields: FieldsDep) -> Caller:
    """Who creates the request: a key (Bearer, else the ``api_key`` field) that may take
    events."""
    return key_holder(request, session, secret, caller, fields.get(API_KEY),
                      access.INTAKE_ROLES, "creating a service request")


def get_reader(request: Request, session: SessionDep, secret: ServerSecretDep, caller: CallerDep,
               api_key: Annotated[
        str | None, Query(description="API key (or send 'Authorization: Bearer <key>')")
        ] = None) -> Caller:
    """Who reads requests: a key (Bearer, else the ``api_key`` query parameter) that may read
    events; its region scope limits what it sees."""
    return key_holder(request, session, secret, caller, api_key, access.READER_ROLES,
                      "reading service requests")


def get_follower(request: Request, session: SessionDep, secret: ServerSecretDep,
                 caller: CallerDep, api_key: Annotated[
        str | None, Query(description="API key (optional: one request is public, redacted)")
        ] = None) -> Caller:
    """Who follows one request: anyone (a reporter, a client app), as GeoReport clients do
    without a key; a key that is sent is checked and confines the answer to its region."""
    if caller.is_anonymous and not api_key:
        return caller
    return key_holder(request, session, secret, caller, api_key, access.READER_ROLES,
                      "reading a service request")


def get_media(fields: FieldsDep, limits: PhotoLimitsDep) -> photos.CleanPhoto | None:
    """GeoReport's ``media``: a photo sent as a multipart file, cleaned as every event photo
    (413, 415, 422 as ``POST /api/v1/events/{code}/photos``); None without one."""
    media = fields.get("media")
    if media is None or media == "":
        return None
    if not isinstance(media, UploadFile):
        raise errors.InvalidInput("media must be a photo file sent as multipart/form-data "
                                  "(媒体须以文件上传); a media_url is not fetched")
    return read_upload(media, limits)


def endpoint_url(request: Request) -> str:
    """The GeoReport v2 endpoint's URL, as discovery names it."""
    return f"{str(request.base_url).rstrip('/')}{router.prefix}/v2"


ReporterDep = Annotated[Caller, Depends(get_reporter)]
MediaDep = Annotated[photos.CleanPhoto | None, Depends(get_media)]
ReaderDep = Annotated[Caller, Depends(get_reader)]
FollowerDep = Annotated[Caller, Depends(get_follower)]

XML: dict[int | str, dict[str, Any]] = {200: {"content": {XML_TYPE: {}}}}
XML_CREATED: dict[int | str, dict[str, Any]] = {201: {"content": {XML_TYPE: {}}}}
"""The .xml spelling of each answer: the same fields as elements."""

router = APIRouter(prefix="/open311", tags=["open311"], route_class=Open311Route,
                   responses={"4XX": {"model": Open311Errors, "description":
                                      "GeoReport errors: 400 (also bad parameters), "
                                      "401, 403, 404"}})


@router.get("/discovery.{fmt}", response_model=Discovery, responses=XML)
def get_discovery(request: Request, fmt: Format) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and which formats it speaks."""
    return _answer(open311.get_discovery(endpoint_url(request)), fmt, "discovery")


@router.get("/v2/services.{fmt}", response_model=Services, responses=XML)
def list_services(fmt: Format) -> Response:
    """Service types: our event categories (service_code = category code)."""
    return _answer(open311.list_services(), fmt, "services")


@router.get("/v2/requests.{fmt}", response_model=ServiceRequests, responses=XML)
def list_requests(request: Request, session: SessionDep, fmt: Format, reader: ReaderDep,
                  settings: SettingsDep, *, service_request_id: str | None = None,
                  service_code: str | None = None, start_date: str | None = None,
                  end_date: str | None = None, status: str | None = None,
                  page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                  page_size: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """Service requests in the key's region (no reporter data): by ids, or the last 90 days
    by default; ``service_request_id``, ``service_code`` and ``status`` take comma-delimited
    lists. Needs a key that may read events (``api_key`` or Bearer). Paged by ``page`` and
    ``page_size`` (the common GeoReport extension; default and most: 1000, or
    GRIDMAP_MAX_PAGE_SIZE when smaller), newest first; ``X-Total-Count`` says how many match
    and a ``Link: <…>; rel="next"`` header points to the next page while there is one."""
    size = min(page_size or open311.MAX_REQUESTS, open311.MAX_REQUESTS, settings.max_page_size)
    found = open311.list_requests(session, ids=service_request_id, service_code=service_code,
                                  start_date=start_date, end_date=end_date, status=status,
                                  scope=reader.scope, limit=size, offset=(page - 1) * size,
                                  endpoint_url=endpoint_url(request))
    answer = _answer(found, fmt, "service_requests")
    answer.headers["X-Total-Count"] = str(found.total)
    if page * size < found.total:
        following = request.url.include_query_params(page=page + 1, page_size=size)
        answer.headers["Link"] = f'<{following}>; rel="next"'
    return answer


_POST_FIELDS: dict[str, Any] = {
    "api_key": {"type": "string", "description": "the key (or send it as a Bearer header)"},
    "service_code": {"type": "string", "description": "a service code from services.{fmt}"},
    "lat": {"type": "number", "description": "WGS84 latitude"},
    "long": {"type": "number", "description": "WGS84 longitude"},
    "address_string": {"type": "string"}, "address_id": {"type": "string"},
    "description": {"type": "string"}, "device_id": {"type": "string"},
    "first_name": {"type": "string"}, "last_name": {"type": "string"},
    "phone": {"type": "string"}, "email": {"type": "string"}, "account_id": {"type": "string"},
}
"""GeoReport v2's POST fields (gis/events/open311.py reads them); ``media`` goes multipart."""
_POST_BODY = {"requestBody": {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["service_code"], "properties": _POST_FIELDS}},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["service_code"], "properties": {
            **_POST_FIELDS, "media": {"type": "string", "format": "binary",
                                      "description": "a photo: JPEG, PNG or WebP"}}}},
    "application/json": {"schema": {
        "type": "object", "required": ["service_code"], "properties": _POST_FIELDS}}}}}


@router.post("/v2/requests.{fmt}", status_code=201, response_model=Receipts, responses=XML_CREATED,
             openapi_extra=_POST_BODY)
def create_request(session: SessionDep, fmt: Format, fields: FieldsDep,
                   reporter: ReporterDep, settings: SettingsDep, media: MediaDep) -> Response:
    """Report an incident (form-encoded, multipart or JSON): api_key (or a Bearer key),
    service_code, lat/long (WGS84) or address_string or address_id, description,
    first_name/last_name/phone (kept for the dispatcher, never answered), ``media`` (a photo:
    multipart file, JPEG/PNG/WebP, GRIDMAP_MAX_PHOTO_BYTES; EXIF and GPS removed). A
    region-scoped key reports only inside it."""
    receipt = open311.create_request(session, fields, actor=f"open311:{reporter.name}",
                                     scope=reporter.scope, media=media,
                                     time_limits=settings.event_time_limits)
    return _answer(receipt, fmt, "service_requests", 201)


@router.get("/v2/requests/{service_request_id}.{fmt}",
            response_model=ServiceRequests, responses=XML)
def get_request(request: Request, service_request_id: str, session: SessionDep, fmt: Format,
                reader: FollowerDep) -> Response:
    """One service request, as a one-element list, redacted (no reporter, personal numbers
    masked), with or without a key, so a reporter or a client app can follow a case; with a
    key, 404 also outside the key's region (a key does not learn what exists elsewhere)."""
    found = open311.get_request(session, service_request_id, scope=reader.scope,
                                endpoint_url=endpoint_url(request))
    return _answer(found, fmt, "service_requests")


@router.get("/v2/requests/{service_request_id}/media", response_class=Response,
            responses={200: {"content": IMAGE_TYPES, "description": "the photo"}})
def get_request_media(request: Request, service_request_id: str, session: SessionDep,
                      reader: FollowerDep) -> Response:
    """The photo a request was sent with (its ``media_url``): readable as the request is, by
    anyone, and with a key only inside its region (404 elsewhere, or without media)."""
    photo = open311.get_media(session, service_request_id, scope=reader.scope)
    return image_answer(photo, request)
