"""Event intake (single and batch) and placing an address-only event by hand.

Intake is set-based: coordinates of a batch are converted per CRS in one vectorised call,
addresses geocoded in one SQL statement, rows inserted in one executemany, and the located
events assigned to grids by one ``assign.assign_events`` UPDATE. Coordinates come in any
CRS ``gis.core.crs`` knows (EPSG:4490/4326, gcj02, bd09, EPSG codes) and are stored in EPSG:4490.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np
from geoalchemy2 import WKTElement
from geoalchemy2.shape import from_shape
from pydantic import BaseModel, Field, field_validator
from shapely import Point
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import crs, dates
from gis.core.errors import Conflict, InvalidInput, NotFound, OutsideJurisdiction
from gis.events import categories, workflow
from gis.grids import assign
from gis.models import Event, EventLog
from gis.models.events import EVENT_CHANNELS
from gis.places import geocode

MAX_BATCH = 5000


class Location(BaseModel):
    """A point in ``crs``: EPSG:4490/EPSG:4326 lon/lat, gcj02, bd09 or an EPSG code."""

    lon: float
    lat: float
    crs: str = Field("EPSG:4490", max_length=200)


class Reporter(BaseModel):
    """Who reported (personal data: masked on the way out unless the role may see it)."""

    name: str | None = Field(None, max_length=50)
    phone: str | None = Field(None, max_length=20)


class EventIn(BaseModel):
    """One incoming event: a location or an address (or both) is required."""

    category: str = Field(max_length=40, examples=["sanitation"],
                          description="a category code or its Chinese name (环境卫生)")
    description: str | None = Field(None, max_length=2000)
    channel: str = Field("other", examples=["12345"],
                         description="a channel code or its Chinese name (网格巡查)")
    location: Location | None = None
    address: str | None = Field(None, max_length=200, examples=["朝阳东路12号3栋"])
    reporter: Reporter | None = None
    priority: int = Field(2, ge=1, le=3, description="1 紧急 urgent, 2 一般, 3 较低")
    external_id: str | None = Field(None, max_length=64)
    reported_at: datetime | None = None

    @field_validator("category", mode="after")
    @classmethod
    def _category_code(cls, value: str) -> str:
        return categories.category_code(value)  # 环境卫生 as well as sanitation

    @field_validator("channel", mode="after")
    @classmethod
    def _channel_code(cls, value: str) -> str:
        return categories.channel_code(value)  # 网格巡查 as well as patrol


def _check_items(items: list[EventIn]) -> None:
    if not items:
        raise InvalidInput("no events given")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per batch; got {len(items)}")
    for i, item in enumerate(items):
        where = f"event {i + 1}: " if len(items) > 1 else ""
        workflow.check_category(item.category, where=where)
        if item.channel not in EVENT_CHANNELS:
            raise InvalidInput(f"{where}unknown channel '{item.channel}'; valid channels: "
                               f"{', '.join(EVENT_CHANNELS)}", valid=list(EVENT_CHANNELS))
        if item.location is None and not (item.address and item.address.strip()):
            raise InvalidInput(f"{where}give a location {{lon, lat, crs}} or an address")
        dates.check_moment(item.reported_at, f"{where}reported_at")


def _points(items: list[EventIn]) -> tuple[np.ndarray, np.ndarray]:
    """Storage lon/lat per item (NaN without a location), one conversion per distinct CRS."""
    x, y = np.full(len(items), np.nan), np.full(len(items), np.nan)
    by_crs: dict[str, list[tuple[int, Location]]] = {}
    for i, item in enumerate(items):
        if item.location is not None:
            by_crs.setdefault(item.location.crs, []).append((i, item.location))
    for source_crs, located in by_crs.items():
        idx = [i for i, _ in located]
        lon = np.array([loc.lon for _, loc in located])
        lat = np.array([loc.lat for _, loc in located])
        try:
            x[idx], y[idx] = assign.storage_points(lon, lat, source_crs)
        except InvalidInput as exc:
            index = exc.details.get("index", 0)
            bad = idx[index if isinstance(index, int) else 0]
            raise type(exc)(f"event {bad + 1}: {exc.message}", index=bad) from None
    return x, y


def _place_by_address(session: Session, items: list[EventIn], x: np.ndarray,
                      y: np.ndarray) -> None:
    """Fill in the points of address-only items whose best geocoding match is clear."""
    idx = [i for i, item in enumerate(items) if item.location is None]
    if not idx:
        return
    found = geocode.geocode_many(session, [items[i].address or "" for i in idx], limit=2)
    for i, candidates in zip(idx, found, strict=True):
        best = geocode.best_if_clear(candidates)
        if best is not None:
            x[i], y[i] = best["lon"], best["lat"]


def _new_ids(session: Session, n: int) -> list[int]:
    return list(session.scalars(text(
        "SELECT nextval(pg_get_serial_sequence('event', 'id')) FROM generate_series(1, :n)"),
        {"n": n}))


def _row(item: EventIn, event_id: int, lon: float, lat: float, now: datetime,
         time_limits: workflow.TimeLimits | None) -> dict:
    reported = item.reported_at or now
    located = bool(np.isfinite(lon))
    reporter = item.reporter or Reporter()
    return {
        "id": event_id, "code": f"EV{reported:%Y%m%d}-{event_id:06d}",
        "category": item.category, "description": item.description, "channel": item.channel,
        "status": "reported" if located else "needs_location", "priority": item.priority,
        "address": item.address, "reporter_name": reporter.name,
        "reporter_phone": reporter.phone, "external_id": item.external_id,
        "source_crs": crs.crs_label(item.location.crs) if item.location else None,
        "reported_at": reported,
        "due_at": reported + timedelta(hours=workflow.time_limit_hours(item.category,
                                                                        time_limits)),
        "geom": WKTElement(f"POINT({lon!r} {lat!r})", srid=4490) if located else None,
    }


class Created(NamedTuple):
    """An event just taken: its code and reported time (the month partition it lies in)."""

    code: str
    reported_at: datetime


def create_events(session: Session, items: list[EventIn], *, actor: str,
                  scope: str | None = None,
                  time_limits: workflow.TimeLimits | None = None) -> list[Created]:
    """Check, place, insert and assign a batch of events; returns their codes (and reported
    times), in order.

    All or nothing: one bad item (unknown category, bad coordinates…) rejects the batch with
    a 422 naming it, one placed outside region ``scope`` (the caller's) with a 403.
    Address-only events without a clear match get ``needs_location``, never refused: each
    event keeps ``scope`` as its ``region_code``, so an unplaced one lies in the caller's
    region (its keys list and place it). Due times follow
    ``time_limits`` (the app's ``Settings.event_time_limits``) over the categories' defaults.
    """
    _check_items(items)
    x, y = _points(items)
    _place_by_address(session, items, x, y)
    now = datetime.now(UTC)
    rows = [{**_row(item, i, float(x[k]), float(y[k]), now, time_limits), "region_code": scope}
            for k, (item, i) in enumerate(zip(items, _new_ids(session, len(items)),
                                              strict=True))]
    with session.begin_nested():  # an event outside the jurisdiction undoes the whole batch
        session.execute(insert(Event), rows)
        session.execute(insert(EventLog), [
            {"event_id": r["id"], "from_status": None, "to_status": r["status"],
             "actor": actor, "note": f"上报 via {r['channel']}"} for r in rows])
        located = [(k, r["id"]) for k, r in enumerate(rows) if r["geom"] is not None]
        placed = assign.assign_new_events(
            session, [(r["id"], r["reported_at"]) for r in rows if r["geom"] is not None])
        _refuse_misplaced(located, placed, x, y, scope)
    return [Created(r["code"], r["reported_at"]) for r in rows]



def _refuse_misplaced(located: list[tuple[int, int]], placed: dict[int, str | None],
                      x: np.ndarray, y: np.ndarray, scope: str | None) -> None:
    """OutsideJurisdiction (422) naming the first event left without a grid (> 50 m out:
    not in ``placed``); else Forbidden naming the first that landed outside region
    ``scope`` (judged by where it landed, not by ``region_code``, which is the caller's
    region itself). ``located``: (position in the batch, event id) of the located events."""
    numbered = len(x) > 1
    for k, event_id in located:
        if event_id not in placed:
            raise OutsideJurisdiction(
                f"{f'event {k + 1}: ' if numbered else ''}lon={x[k]:.6f}, lat={y[k]:.6f} is "
                f"more than {assign.MAX_OUTSIDE_M:.0f} m outside every grid: it is outside "
                "this jurisdiction (超出辖区范围)", index=k)
    for k, event_id in located:
        unit = placed[event_id]
        if not jurisdiction.inside(unit, scope):
            where = f"event {k + 1}" if numbered else "the event"
            jurisdiction.check_inside(None, scope, f"{where} (in {unit or 'no community'})")


def locate_event(session: Session, code: str, location: Location, *, actor: str,
                 note: str | None = None, scope: str | None = None) -> str:
    """A dispatcher places a ``needs_location`` event at ``location``: point set, grid,
    community and worker assigned, → reported. A caller limited to ``scope`` places only the
    events recorded in its region, and only at points inside it (Forbidden otherwise)."""
    event = session.query(Event).filter(Event.code == code).with_for_update().one_or_none()
    if event is None:
        raise NotFound(f"no event with code '{code}'")
    workflow.check_event_scope(event, scope)
    if event.status != "needs_location":
        raise Conflict(f"event {code} is {event.status}, not needs_location; its location is "
                       "set already", status=event.status, allowed=[])
    x, y = assign.storage_point(location.lon, location.lat, location.crs)
    found = assign.locate(session, x, y)  # refuses points outside every grid (422)
    jurisdiction.check_inside(found["community"]["code"], scope, "the point")
    event.geom = from_shape(Point(x, y), srid=4490)
    event.source_crs = location.crs
    session.flush()
    assign.assign_events(session, [event.id])
    workflow.write_log(session, event, "reported", actor, note or "dispatcher set the location",
                       from_status=event.status)
    event.status = "reported"
    session.flush()
    return code
