"""Events (工单): intake, listing, one event with its timeline, workflow actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, Field

from api.access import CurrentEvent, DispatcherDep, IntakeDep, ReaderDep, RevealDep
from api.deps import SessionDep, SettingsDep
from api.params import BBoxParam, Limit, Offset
from api.responses import GeoJSONResponse, geojson_page
from api.schemas.common import errors
from api.schemas.events import (
    EventActions,
    EventBatch,
    EventCollection,
    EventFeature,
    OverdueList,
)
from gis.access.callers import Caller
from gis.events import duplicates, intake, queries, workflow
from gis.events.intake import EventIn, Location

router = APIRouter(prefix="/api/v1/events", tags=["events"],
                   responses=errors(401, 403, 422))
Geo = GeoJSONResponse


class TransitionIn(BaseModel):
    to: str = Field(examples=["accepted"])
    note: str | None = Field(None, max_length=2000)


class NoteIn(BaseModel):
    note: str | None = Field(None, max_length=2000)


class EscalateIn(NoteIn):
    from_level: str | None = Field(
        None, examples=["grid"], description="the level the caller saw: when someone "
        "escalated since, 409 instead of a second raise")


class DuplicateIn(NoteIn):
    original: str = Field(min_length=1, max_length=40, description="the original's code")


class ScoreIn(NoteIn):
    score: int = Field(ge=1, le=5)


class PriorityIn(NoteIn):
    priority: int = Field(ge=1, le=3, description="1 紧急 urgent, 2 一般, 3 较低")


class LocationIn(Location):
    note: str | None = Field(None, max_length=2000)


def _one(session: SessionDep, code: str, caller: Caller, status_code: int = 200, *,
         reveal: bool = False, created: intake.Created | None = None) -> Geo:
    return Geo(queries.event_feature(session, code, reveal=reveal, scope=caller.scope,
                                    actor=caller.name, created=created),
               status_code=status_code)


@router.post("", status_code=201, response_class=Geo, response_model=EventFeature)
def create_event(item: EventIn, session: SessionDep, caller: IntakeDep,
                 settings: SettingsDep) -> Geo:
    """Take one event and assign it at once (grid, community, subdistrict, worker); an
    address-only event is geocoded, or waits as ``needs_location``."""
    created = intake.create_events(session, [item], actor=caller.name, scope=caller.scope,
                                   time_limits=settings.event_time_limits)[0]
    return _one(session, created.code, caller, 201, created=created)


@router.post("/batch", status_code=201, response_model=EventBatch,
             response_model_exclude_unset=True)
def create_events(items: Annotated[list[EventIn], Body()], session: SessionDep,
                  caller: IntakeDep, settings: SettingsDep) -> dict:
    """Take many events at once, all or nothing; answers each one's code, status and grid."""
    codes = [c.code for c in intake.create_events(session, items, actor=caller.name,
                                                  scope=caller.scope,
                                                  time_limits=settings.event_time_limits)]
    return {"count": len(codes), "events": queries.summarize_events(session, codes)}


@router.get("", response_class=Geo, response_model=EventCollection)
def list_events(request: Request, session: SessionDep, caller: ReaderDep, reveal: RevealDep, *,
                status: str | None = None, category: str | None = None,
                grid: str | None = None, community: str | None = None,
                open: bool = False, overdue: bool = False, not_closed: bool = False,
                bbox: BBoxParam = None, limit: Limit = 100, offset: Offset = 0) -> Geo:
    """Events as GeoJSON, newest first; reporters, and ID, phone and card numbers in
    descriptions and addresses, masked unless revealed (``reveal=true``, audited).
    ``open=true``: open events (未办结); ``not_closed=true``: not yet closed (未结案,
    resolved and verified ones too)."""
    frame = queries.list_events(session, status=status, category=category, grid_code=grid,
                               community_code=community, open_only=open, overdue=overdue,
                               not_closed=not_closed,
                               bbox=bbox, limit=limit, offset=offset,
                               reveal=reveal, scope=caller.scope, actor=caller.name)
    return geojson_page(request, frame, limit=limit, offset=offset)


@router.get("/overdue", response_model=OverdueList,
            response_model_exclude_unset=True)
def list_overdue(session: SessionDep, caller: ReaderDep, grid: str | None = None) -> dict:
    """Open events past their time limit (超期), most overdue first."""
    return {"items": workflow.list_overdue(session, grid_code=grid, scope=caller.scope)}


@router.get("/{code}", response_class=Geo, response_model=EventFeature, responses=errors(404))
def get_event(caller: ReaderDep, event: CurrentEvent, session: SessionDep,
              reveal: RevealDep) -> Geo:
    """One event with its timeline (who, when) and duplicate hints (same category, 50 m);
    personal data masked unless revealed (``reveal=true``, audited)."""
    return _one(session, event.code, caller, reveal=reveal)


@router.post("/{code}/transitions", response_class=Geo,
             response_model=EventFeature, responses=errors(404, 409))
def transition_event(caller: IntakeDep, event: CurrentEvent, change: TransitionIn,
                     session: SessionDep, settings: SettingsDep) -> Geo:
    """Move the event to state ``to``; an illegal move is 409 listing the allowed ones, a
    move the caller's role may not make 403 (``GET .../actions`` lists what it may); the
    event's duplicates follow."""
    workflow.transition_event(session, event.code, change.to, actor=caller.name,
                              note=change.note, scope=caller.scope, role=caller.role,
                              time_limits=settings.event_time_limits)
    return _one(session, event.code, caller)


@router.post("/{code}/escalate", response_class=Geo,
             response_model=EventFeature, responses=errors(404, 409))
def escalate_event(caller: IntakeDep, event: CurrentEvent, body: EscalateIn,
                   session: SessionDep) -> Geo:
    """吹哨: raise the event one level (grid → community → subdistrict → department); 409
    at the top, or when it was raised since ``from_level``."""
    workflow.escalate_event(session, event.code, actor=caller.name, note=body.note,
                            scope=caller.scope, from_level=body.from_level)
    return _one(session, event.code, caller)


@router.get("/{code}/actions", response_model=EventActions, responses=errors(404))
def get_event_actions(caller: IntakeDep, event: CurrentEvent, session: SessionDep) -> dict:
    """What the caller's role may do with the event in its state now (the case page's
    buttons; the same rule refuses other moves)."""
    return workflow.event_actions(session, event.code, role=caller.role, scope=caller.scope)


@router.post("/{code}/duplicate-of", response_class=Geo,
             response_model=EventFeature, responses=errors(404, 409))
def mark_duplicate(caller: DispatcherDep, event: CurrentEvent, body: DuplicateIn,
                   session: SessionDep) -> Geo:
    """Mark the event a duplicate (重复件) of ``original`` (both logged); its state and
    closure follow the original's from then on."""
    duplicates.mark_duplicate(session, event.code, body.original, actor=caller.name,
                              note=body.note, scope=caller.scope)
    return _one(session, event.code, caller)


@router.post("/{code}/satisfaction", response_class=Geo,
             response_model=EventFeature, responses=errors(404, 409))
def rate_event(caller: IntakeDep, event: CurrentEvent, body: ScoreIn,
               session: SessionDep) -> Geo:
    """Record the satisfaction callback (1–5); 1–2 allows reopening."""
    workflow.rate_event(session, event.code, body.score, actor=caller.name, note=body.note,
                        scope=caller.scope)
    return _one(session, event.code, caller)


@router.post("/{code}/priority", response_class=Geo,
             response_model=EventFeature, responses=errors(404, 409))
def prioritize_event(caller: IntakeDep, event: CurrentEvent, body: PriorityIn,
                     session: SessionDep) -> Geo:
    """Set the event's priority."""
    workflow.prioritize_event(session, event.code, body.priority, actor=caller.name,
                              note=body.note, scope=caller.scope)
    return _one(session, event.code, caller)


@router.post("/{code}/location", response_class=Geo,
             response_model=EventFeature, responses=errors(404, 409))
def locate_event(caller: DispatcherDep, event: CurrentEvent, body: LocationIn,
                 session: SessionDep) -> Geo:
    """A dispatcher places a ``needs_location`` event; it is assigned and becomes reported."""
    intake.locate_event(session, event.code, body, actor=caller.name, note=body.note,
                        scope=caller.scope)
    return _one(session, event.code, caller)
