"""Open311 GeoReport v2 on top of the events: services are our categories, requests events.

Mapping: ``service_code`` = category code; ``lat``/``long`` are WGS84 (stored as-is in
CGCS2000); ``address_string`` is geocoded like any address-only event; ``address_id`` is a
building code; ``service_request_id`` is the event code; ``status`` is ``closed`` for closed
events, else ``open`` (``status_notes`` carries the detailed state in Chinese and English).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

from gis import categories, events, sql, workflow
from gis.errors import InvalidInput, NotFound

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


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


def event_from_request(session: Session, fields: Mapping[str, Any]) -> events.EventIn:
    """An EventIn from POST requests.json fields (form or JSON)."""
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
    return events.EventIn(
        category=str(fields["service_code"]), description=fields.get("description") or None,
        channel="open311", address=address,
        location=events.Location(lon=lon, lat=lat, crs="EPSG:4326") if lat is not None
        else None,
        reporter=events.Reporter(name=name or None, phone=fields.get("phone") or None),
        external_id=(str(fields["device_id"])[:64] if fields.get("device_id") else None))


def _building_address(session: Session, code: str) -> str:
    address = session.scalar(text("SELECT address FROM building WHERE code = :c"), {"c": code})
    if address is None:
        raise InvalidInput(f"address_id '{code}' is not a known building code")
    return str(address)


def create_request(session: Session, fields: Mapping[str, Any], *, actor: str
                   ) -> list[dict[str, Any]]:
    """POST requests.json: take the request as an event; answers the GeoReport receipt."""
    item = event_from_request(session, fields)
    code = events.create_events(session, [item], actor=actor)[0]
    summary = events.summarize_events(session, [code])[0]
    notice = (f"已受理上报，分派至网格 {summary['grid_code']}" if summary["grid_code"]
              else "已收到，地址待人工定位 (needs location)")
    return [{"service_request_id": code, "service_notice": notice, "account_id": None}]


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be a W3C/ISO 8601 date-time; got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def list_requests(session: Session, *, ids: str | None = None, service_code: str | None = None,
                  start_date: str | None = None, end_date: str | None = None,
                  status: str | None = None) -> list[dict[str, Any]]:
    """GET requests.json: by ids, or filtered (default: the last 90 days, at most 1000)."""
    if status not in (None, "", "open", "closed"):
        raise InvalidInput("status must be 'open' or 'closed'")
    id_list = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
    end = _when(end_date, "end_date")
    start = _when(start_date, "start_date")
    if id_list is None and start is None:
        start = (end or datetime.now(UTC)) - timedelta(days=DEFAULT_DAYS)
    statement = text(sql.load("open311_requests")).bindparams(bindparam("ids", type_=ARRAY(TEXT)))
    rows = session.execute(statement, {
        "ids": id_list, "service": service_code or None, "start": start, "end": end,
        "status": status or None, "limit": MAX_REQUESTS}).mappings().all()
    return [_request(r) for r in rows]


def get_request(session: Session, code: str) -> list[dict[str, Any]]:
    """GET requests/{id}.json: a one-element list, or NotFound."""
    found = list_requests(session, ids=code)
    if not found:
        raise NotFound(f"no service request with id '{code}'")
    return found


def _request(row: Mapping[str, Any]) -> dict[str, Any]:
    category = categories.get_category(row["category"])
    state = row["status"]
    return {
        "service_request_id": row["code"], "status": "closed" if state == "closed" else "open",
        "status_notes": f"{workflow.STATE_LABELS.get(state, state)} ({state})",
        "service_name": category.label_zh if category else row["category"],
        "service_code": row["category"], "description": row["description"],
        "agency_responsible": row["grid_name"] or row["community_name"],
        "service_notice": None,
        "requested_datetime": row["reported_at"].isoformat(),
        "updated_datetime": row["updated_at"].isoformat(),
        "expected_datetime": row["due_at"].isoformat() if row["due_at"] else None,
        "address": row["address"], "address_id": None, "zipcode": None,
        "lat": row["lat"], "long": row["lon"], "media_url": None,
    }

