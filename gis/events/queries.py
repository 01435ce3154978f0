"""Reading events: lists, one event with its timeline and duplicate hints, nearby events.

Geometry in EPSG:4490; ``scope`` limits rows to a region. Reporters, and personal numbers in
descriptions, addresses and timeline notes, are masked unless ``reveal`` (decided with
gis.access.privacy.may_reveal); an unmasked answer is audited in the name of ``actor``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import shapely
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gis.access import audit, jurisdiction
from gis.access.privacy import COLUMNS, FREE_TEXT, mask_frame, mask_in_text, mask_one
from gis.core import clock, paging, sql
from gis.core.errors import InvalidInput, NotFound
from gis.events import categories, labels, workflow
from gis.models import ApiKey, Event

if TYPE_CHECKING:
    from gis.events.intake import Created


def list_events(session: Session, *, status: str | None = None, category: str | None = None,
                grid_code: str | None = None, community_code: str | None = None,
                open_only: bool = False, overdue: bool = False, bbox: Any = None,
                limit: int | None = 100, offset: int = 0, reveal: bool = False,
                scope: str | None = None, actor: str = "anonymous",
                not_closed: bool = False,
                filters: paging.Filters | None = None) -> gpd.GeoDataFrame:
    """Events (newest first) as a GeoDataFrame in EPSG:4490; personal data masked unless
    ``reveal`` (audited); only those inside region ``scope`` (the caller's) when given;
    ``open_only`` keeps open ones (未办结), ``not_closed`` those not yet closed (未结案).
    ``filters`` (OGC properties, reported time) narrow the list; a filtered list is paged in
    code order, as OGC collections are. ``status`` and ``category`` are codes or their
    Chinese names (受理, 环境卫生)."""
    status = None if status is None else workflow.state_code(status)
    category = None if category is None else categories.category_code(category)
    if status is not None and status not in workflow.STATE_LABELS:
        raise InvalidInput(f"unknown status '{status}'; valid: "
                           f"{', '.join(workflow.STATE_LABELS)}")
    params = {"code": None, "at": None, "status": status, "category": category,
              "grid": grid_code,
              "community": community_code, "open": open_only, "overdue": overdue,
              "not_closed": not_closed,
              "scope": jurisdiction.scope_prefix(scope), **paging.bbox_params(bbox)}
    frame = paging.run_filtered_page(session, "event_list", params, filters or paging.Filters(),
                                     limit=limit, offset=offset)
    _audit(session, reveal, actor, "events", len(frame))
    return _labelled(mask_frame(frame, reveal=reveal))


def _audit(session: Session, reveal: bool, actor: str, target: str, rows: int) -> None:
    if reveal and rows:
        audit.record_reveal(session, actor=actor, kind="events", target=target, rows=rows)


def _labelled(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Chinese labels of category and state next to their codes."""
    frame = frame.drop(columns=["id"], errors="ignore")
    frame.insert(frame.columns.get_loc("status") + 1, "status_label",
                 frame["status"].map(workflow.STATE_LABELS))
    frame.insert(frame.columns.get_loc("category") + 1, "category_label",
                 frame["category"].map(category_label))
    if "channel" in frame:
        frame.insert(frame.columns.get_loc("channel") + 1, "channel_label",
                     frame["channel"].map(labels.channel_label))
    return frame


def category_label(code: str) -> str:
    """The Chinese label of a category code (the code itself when unknown)."""
    known = categories.get_category(code)
    return known.label_zh if known else code


@dataclass(frozen=True)
class EventRef:
    """An event by its code and the unit it belongs to (its community, else its subdistrict;
    None while it waits for a location)."""

    code: str
    unit_code: str | None


def get_event_in_scope(session: Session, code: str, scope: str | None) -> EventRef:
    """The event ``code`` when it lies inside region ``scope`` (the caller's; None:
    everywhere): NotFound when unknown, Forbidden outside (an unplaced event lies in the region
    it was recorded in, ``region_code``, or in none).

    Reads two columns, not the ORM row, so the workflow's ``SELECT ... FOR UPDATE`` that
    follows loads the row fresh instead of finding a stale copy in the session."""
    row = session.execute(select(Event.code, func.coalesce(
        Event.community_code, Event.subdistrict_code, Event.region_code).label("unit"))
        .where(Event.code == code)).first()
    if row is None:
        raise NotFound(f"事件 {code} 不存在 (no event with code '{code}')")
    jurisdiction.check_inside(row.unit, scope, f"event {code}")
    return EventRef(code=row.code, unit_code=row.unit)


def get_event(session: Session, code: str, *, reveal: bool = False,
              scope: str | None = None, actor: str = "anonymous") -> gpd.GeoDataFrame:
    """One event as a one-row GeoDataFrame (EPSG:4490), masked unless ``reveal`` (audited);
    NotFound, or Forbidden when it lies outside region ``scope``."""
    params = {"code": code, "at": None, "status": None, "category": None, "grid": None,
              "community": None, "open": False, "overdue": False, "scope": None,
              "not_closed": False,
              **paging.NO_BBOX}
    frame = paging.one_row(paging.run_page(session, "event_list", params, limit=1, offset=0),
                            "event", code)
    units = frame[["community_code", "subdistrict_code", "region_code"]].iloc[0].dropna()
    jurisdiction.check_inside(str(units.iloc[0]) if len(units) else None, scope, f"event {code}")
    _audit(session, reveal, actor, f"event:{code}", 1)
    return _labelled(mask_frame(frame, reveal=reveal))


def list_event_log(session: Session, code: str, *, reveal: bool = False
                   ) -> list[dict[str, Any]]:
    """The event's timeline, oldest first: from, to, who (caller name), when, note (its
    personal numbers masked unless ``reveal``: the caller decided and audited it)."""
    rows = session.execute(text("""
        SELECT l.from_status, l.to_status, l.actor, l.note, l.at
        FROM event_log l JOIN event_registry r ON r.id = l.event_id
        WHERE r.code = :code ORDER BY l.at, l.id"""), {"code": code}).mappings().all()
    notes = [r["note"] if reveal else mask_in_text(r["note"]) for r in rows]
    names = _key_labels(session, labels.key_ids([r["actor"] for r in rows]))
    return [{**r, "note": labels.note_text(note), "at": r["at"].isoformat(),
             "at_local": clock.local_text(r["at"]),
             "actor_label": labels.actor_label(r["actor"], names),
             "to_label": workflow.STATE_LABELS.get(r["to_status"], r["to_status"])}
            for r, note in zip(rows, notes, strict=True)]


def _key_labels(session: Session, ids: list[int]) -> dict[int, str]:
    """The labels of API keys ``ids`` (those that have one)."""
    if not ids:
        return {}
    rows = session.execute(select(ApiKey.id, ApiKey.label).where(ApiKey.id.in_(ids)))
    return {key_id: label for key_id, label in rows if label}


def event_feature(session: Session, code: str, *, reveal: bool = False,
                  scope: str | None = None, actor: str = "anonymous",
                  created: Created | None = None) -> dict[str, Any]:
    """One event as a GeoJSON Feature (lon/lat) with ``timeline`` and ``duplicates``, masked
    unless ``reveal`` (audited); Forbidden outside region ``scope``. ``created``: the event
    was taken in this transaction (an intake's answer): its reported time prunes the month
    partitions at planning, and nothing can be marked a duplicate of it yet."""
    at = None if created is None else created.reported_at
    feature = _feature(session, code, reveal=reveal, scope=scope, actor=actor, at=at)
    duplicates = [{**d, "description": d["description"] if reveal
                   else mask_in_text(d["description"])}
                  for d in workflow.duplicate_hints(session, code, scope=scope, at=at)]
    return {**feature, "timeline": list_event_log(session, code, reveal=reveal),
            "duplicates": duplicates,
            "marked_duplicates": [] if created else duplicate_codes(session, code)}


def _feature(session: Session, code: str, *, reveal: bool, scope: str | None,
             actor: str, at: datetime | None = None) -> dict[str, Any]:
    """``get_event``'s row as ``feature_collection_from_frame`` makes it a Feature (the same
    members, order, masking and JSON values), built from the plain row: one event's answer
    (every intake's) without a GeoDataFrame, whose making cost most of the intake's time."""
    params = {"code": code, "status": None, "category": None, "grid": None,
              "community": None, "open": False, "overdue": False, "scope": None,
              "not_closed": False, "limit": 1, "offset": 0, "at": at, **paging.NO_BBOX}
    row = session.execute(sql.statement("event_list"), params).mappings().first()
    if row is None:
        raise NotFound(f"no event with code '{code}'")
    unit = row["community_code"] or row["subdistrict_code"] or row["region_code"]
    jurisdiction.check_inside(unit, scope, f"event {code}")
    _audit(session, reveal, actor, f"event:{code}", 1)
    props: dict[str, Any] = {}
    for name, value in row.items():
        if name in ("id", "geom", "number_matched"):
            continue
        props[name] = _json_value(name, value, reveal=reveal)
        label = _LABELS.get(name)
        if label is not None:
            props[f"{name}_label"] = label(value)
    geom = None if row["geom"] is None else shapely.from_wkb(row["geom"])
    return {"type": "Feature", "id": props["code"],
            "geometry": None if geom is None else json.loads(shapely.to_geojson(geom)),
            "properties": props}


_LABELS: dict[str, Callable[[Any], str | None]] = {
    "status": workflow.STATE_LABELS.get, "category": category_label,
    "channel": labels.channel_label}
"""The Chinese label put after each of these columns (as ``_labelled`` does)."""


def _json_value(name: str, value: Any, *, reveal: bool) -> Any:
    """One column's value as records_from_frame writes it: masked as mask_frame masks its
    column unless ``reveal``; times as pandas' ISO 8601 (UTC, milliseconds, 'Z')."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
    if reveal or not isinstance(value, str):
        return value
    if name in COLUMNS:
        return mask_one(value, COLUMNS[name])
    return mask_in_text(value) if name in FREE_TEXT else value


def duplicate_codes(session: Session, code: str) -> list[str]:
    """Codes of the events marked as duplicates (重复件) of event ``code``."""
    # the original's id from the registry: one probe, not one per month partition (0015)
    return list(session.scalars(text(
        "SELECT e.code FROM event e WHERE e.duplicate_of = "
        "(SELECT r.id FROM event_registry r WHERE r.code = :code) ORDER BY e.code"),
        {"code": code}))


def summarize_events(session: Session, codes: list[str]) -> list[dict[str, Any]]:
    """Code, status and grid of each event in ``codes`` (in that order), for intake answers."""
    rows = session.execute(text("""
        SELECT e.code, e.status, g.code AS grid_code, e.grid_version, e.community_code,
               e.subdistrict_code
        FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS c(code, ord)
        JOIN event e ON e.code = c.code LEFT JOIN grid g ON g.id = e.grid_id
        ORDER BY c.ord"""), {"codes": codes}).mappings().all()
    return [dict(r) for r in rows]


def list_nearby_events(session: Session, code: str, *, radius_m: float = 300.0,
                       reveal: bool = False, scope: str | None = None,
                       actor: str = "anonymous") -> gpd.GeoDataFrame:
    """Open events within ``radius_m`` (geodesic) of event ``code``, nearest first (EPSG:4490),
    masked unless ``reveal`` (audited); only those inside region ``scope`` when given."""
    frame = workflow.events_near(session, code, radius_m=radius_m, scope=scope)
    _audit(session, reveal, actor, f"near:{code}", len(frame))
    return _labelled(mask_frame(frame, reveal=reveal))
