"""Open311 GeoReport v2 on top of the events: services are our categories, requests events.

Mapping: ``service_code`` = category code; ``lat``/``long`` are WGS84 (stored as-is in
CGCS2000); ``address_string`` is geocoded like any address-only event; ``address_id`` is a
building code; ``service_request_id`` is the event code; ``status`` is ``closed`` for closed
events, else ``open`` (``status_notes`` carries the detailed state in Chinese and English);
``expected_datetime`` is the due time from the category's time limit; ``agency_responsible``
the grid (or community) handling it. Date-times go out as W3C/ISO 8601 in China Standard Time
(``+08:00``). Reading requests needs a key (the caller checks it) and a region-scoped key
sees only requests inside its region, as with the events listing. Reporters' names and phones
are stored but never answered here, and phone or ID numbers typed into a description are
masked (any reading role, a viewer too, gets the answer).

``media`` (a multipart file, the common GeoReport extension of POST requests) becomes the
event's photo, cleaned as every photo (gis.events.photos: no EXIF, no GPS) and marked as the
reporter's; ``media_url`` points at it, for whoever may read the request (anyone, one request
at a time, as the request itself). Photos the staff add later are not shown there. A
``media_url`` sent with a POST is ignored: gridmap fetches nothing from addresses callers name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import RowMapping, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

from gis.access import jurisdiction, privacy
from gis.core import dates, sql
from gis.core.errors import InvalidInput, NotFound
from gis.events import categories, intake, photos, workflow

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
CHINA_TIME = timezone(timedelta(hours=8), "CST")
"""China Standard Time: one fixed offset, no daylight saving, so no tz database is needed."""
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-03T16:00:00+08:00"
"""When this endpoint's behaviour last changed (discovery's ``changeset``): ``media`` and
``media_url``."""
FORMATS = ("text/xml", "application/json")
STATUSES = ("open", "closed")


def list_services() -> list[dict[str, Any]]:
    """services.json: one service per event category."""
    return [{"service_code": c.code, "service_name": c.label_zh,
             "description": f"{c.label_zh} ({c.label_en}); 处置时限 {c.time_limit_hours} h",
             "metadata": False, "type": "realtime", "keywords": c.label_en,
             "group": "网格事件"} for c in categories.CATEGORIES]


def _number(fields: Mapping[str, Any], name: str) -> float | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number in degrees (WGS84); got {value!r}") from None


def _refuse_nul(values: Iterable[object]) -> None:
    """PostgreSQL text cannot hold NUL; say so here, in GeoReport's error format."""
    if any("\x00" in str(v) for v in values if v is not None):
        raise InvalidInput("text values must not contain NUL (\\u0000) characters")


def event_from_request(session: Session, fields: Mapping[str, Any]) -> intake.EventIn:
    """An EventIn from POST requests.json fields (form or JSON)."""
    _refuse_nul(fields.values())
    if not fields.get("service_code"):
        raise InvalidInput("service_code is required (see services.json)")
    lat, lon = _number(fields, "lat"), _number(fields, "long")
    address = fields.get("address_string") or None
    if fields.get("address_id"):
        address = _building_address(session, str(fields["address_id"]))
    if (lat is None) != (lon is None):
        raise InvalidInput("give both lat and long, or neither")
    if lat is None and not address:
        raise InvalidInput("a location is required: lat and long, address_string or "
                           "address_id")
    name = " ".join(str(fields.get(k) or "") for k in ("last_name", "first_name")).strip()
    try:
        return intake.EventIn(
            category=str(fields["service_code"]),
            description=fields.get("description") or None, channel="open311", address=address,
            location=intake.Location(lon=lon, lat=lat, crs="EPSG:4326") if lat is not None
            else None,
            reporter=intake.Reporter(name=name or None, phone=fields.get("phone") or None),
            external_id=(str(fields["device_id"])[:64] if fields.get("device_id") else None))
    except ValidationError as exc:  # a JSON body can carry numbers, lists, lone surrogates
        raise InvalidInput("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                     for e in exc.errors(include_input=False))) from None


def _building_address(session: Session, code: str) -> str:
    address = session.scalar(text("SELECT address FROM building WHERE code = :c"), {"c": code})
    if address is None:
        raise InvalidInput(f"address_id '{code}' is not a known building code")
    return str(address)


def create_request(session: Session, fields: Mapping[str, Any], *, actor: str,
                   scope: str | None = None, time_limits: Mapping[str, float] | None = None,
                   media: photos.CleanPhoto | None = None) -> list[dict[str, Any]]:
    """POST requests: take the request as an event placed inside region ``scope`` (the
    caller's; Forbidden outside it), with ``media`` as its photo, and answer the GeoReport
    receipt. ``api_key`` and the other unused GeoReport fields (email, media_url,
    attribute[…]) are ignored here."""
    item = event_from_request(session, fields)
    code = intake.create_events(session, [item], actor=actor, scope=scope,
                                time_limits=time_limits)[0].code
    if media is not None:  # the event was just checked against scope (or waits unplaced)
        photos.add_photo(session, code, media, actor=actor, source="open311")
    # unscoped: an address-only request waits unplaced (no region yet) but was still taken
    created = get_request(session, code)[0]
    return [{"service_request_id": code, "service_notice": created["service_notice"],
             "account_id": None}]


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be a W3C/ISO 8601 date-time; got {value!r}") from None
    return dates.check_moment(parsed, name)


def _listed(value: str | None) -> list[str] | None:
    """GeoReport's comma-delimited multi-values ('noise,parking'); None when not given."""
    items = [i.strip() for i in value.split(",") if i.strip()] if value else []
    return items or None


def list_requests(session: Session, *, ids: str | None = None, service_code: str | None = None,
                  start_date: str | None = None, end_date: str | None = None,
                  status: str | None = None, scope: str | None = None,
                  limit: int = MAX_REQUESTS, offset: int = 0, endpoint_url: str = "") -> Page:
    """GET requests: by ids, or filtered (default: the last 90 days), newest first, one page
    of ``limit`` from ``offset``, only those inside region ``scope`` (the caller's; None:
    all). ``ids``, ``service_code`` and ``status`` take comma-delimited lists. No reporter
    data. lat/long in WGS84 (see ``_request``). ``.total`` of the answer counts every match
    (a page past the end counts 0). ``media_url`` is ``endpoint_url`` (the GeoReport v2
    endpoint, as in discovery) + ``/requests/{id}/media`` for requests sent with a photo."""
    _refuse_nul((ids, service_code, start_date, end_date, status))
    statuses = _listed(status)
    if statuses and not set(statuses) <= set(STATUSES):
        raise InvalidInput("status must be 'open', 'closed' or 'open,closed'")
    id_list = _listed(ids)
    end = _when(end_date, "end_date")
    start = _when(start_date, "start_date")
    dates.check_range(start, end, ("start_date", "end_date"))
    if id_list is None and start is None:
        start = (end or datetime.now(UTC)) - timedelta(days=DEFAULT_DAYS)
    statement = text(sql.load("open311_requests")).bindparams(
        bindparam("ids", type_=ARRAY(TEXT)), bindparam("services", type_=ARRAY(TEXT)))
    rows = session.execute(statement, {
        "ids": id_list, "services": _listed(service_code), "start": start, "end": end,
        "status": statuses[0] if statuses and len(set(statuses)) == 1 else None,
        "scope": jurisdiction.scope_prefix(scope), "limit": limit,
        "offset": offset}).mappings().all()
    media = photos.first_photo_ids(session, (r["code"] for r in rows))
    return Page((_request(r, f"{endpoint_url}/requests/{r['code']}/media"
                          if r["code"] in media else None) for r in rows),
                total=int(rows[0]["total"]) if rows else 0)


class Page(list[dict[str, Any]]):
    """One page of requests (a list, as GeoReport answers) that knows how many matched."""

    def __init__(self, rows: Iterable[dict[str, Any]], *, total: int) -> None:
        super().__init__(rows)
        self.total = total


def get_request(session: Session, code: str, *, scope: str | None = None,
                endpoint_url: str = "") -> list[dict[str, Any]]:
    """GET requests/{id}: a one-element list, or NotFound, also when it lies outside region
    ``scope`` (so a region's key does not learn what exists elsewhere)."""
    found = (list_requests(session, ids=code, scope=scope, endpoint_url=endpoint_url)
             if code.strip() and "," not in code else [])
    if not found:
        raise NotFound(f"no service request with id '{code}'")
    return found


def get_media(session: Session, code: str, *, scope: str | None = None) -> photos.StoredPhoto:
    """The photo ``media_url`` of request ``code`` shows (the reporter's, sent with the POST):
    NotFound for an unknown request, one outside region ``scope``, or one sent without."""
    get_request(session, code, scope=scope)
    photo_id = photos.first_photo_ids(session, [code]).get(code)
    if photo_id is None:
        raise NotFound(f"service request '{code}' was sent without media")
    return photos.get_photo(session, code, photo_id, source="open311")


def _w3c(value: datetime | None) -> str | None:
    """W3C date-time with its offset, to the second, in China Standard Time."""
    return value.astimezone(CHINA_TIME).isoformat(timespec="seconds") if value else None


def _public(text: str | None) -> str | None:
    """A description or address with the personal numbers a resident typed into it masked."""
    return privacy.mask_in_text(text)


def _notice(state: str, grid_code: str | None) -> str:
    """What happens next, for the person who reported it (service_notice)."""
    if state == "needs_location":
        return "已收到，地址待人工定位 (received; a dispatcher will place it on the map)"
    if state == "closed":
        return "已结案 (closed)"
    if grid_code:
        return f"已受理，分派至网格 {grid_code} 办理 (assigned to grid {grid_code})"
    return "已受理 (received)"


def _request(row: RowMapping, media_url: str | None = None) -> dict[str, Any]:
    category = categories.get_category(row["category"])
    state = row["status"]
    # lat/long: GeoReport wants WGS84; storage is CGCS2000 (EPSG:4490), whose coordinates
    # differ from WGS84's by centimetres, far below a reported location's own accuracy
    return {
        "service_request_id": row["code"], "status": "closed" if state == "closed" else "open",
        "status_notes": f"{workflow.STATE_LABELS.get(state, state)} ({state})",
        "service_name": category.label_zh if category else row["category"],
        "service_code": row["category"], "description": _public(row["description"]),
        "agency_responsible": row["grid_name"] or row["community_name"],
        "service_notice": _notice(state, row["grid_code"]),
        "requested_datetime": _w3c(row["reported_at"]),
        "updated_datetime": _w3c(row["updated_at"]),
        "expected_datetime": _w3c(row["due_at"]),
        "address": _public(row["address"]), "address_id": None, "zipcode": None,
        "lat": row["lat"], "long": row["lon"], "media_url": media_url,
    }


def get_discovery(endpoint_url: str) -> dict[str, Any]:
    """Service discovery: one production GeoReport v2 endpoint at ``endpoint_url``."""
    return {"changeset": CHANGESET, "contact": "gridmap 网格化管理 (see /docs)",
            "key_service": "API keys come from your administrator: `gridmap keys create "
                           "--role dispatcher --region CODE` (send as api_key; any "
                           "events role reads, dispatcher or grid_worker reports)",
            "endpoints": [{"specification": SPECIFICATION, "url": endpoint_url,
                           "changeset": CHANGESET, "type": "production",
                           "formats": list(FORMATS)}]}
