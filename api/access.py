"""Who may call what, as dependencies: the one module of access policy on the api side.

Role requirements are ``Annotated`` aliases (admin always passes): a handler names the alias
of its role set in its signature and never checks a role in its body. Object access goes
through dependencies that load the object named by the path (or query) and check that it lies
in the key's jurisdiction (``caller.scope``) before the handler runs, so a route cannot forget
it: ``CurrentPlan`` (404 outside the region: a key does not learn what others plan),
``CurrentEvent`` and ``PageEvent`` (403 outside the region, naming it).

On ``/map`` pages api/errors.py turns a missing key (401) into a 303 to ``/map/login`` and a
wrong role or region (403) into a small Chinese page; the JSON API answers as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Query

from api.deps import CallerDep, SessionDep, TileCallerDep
from api.params import RowId
from gis import plans
from gis.access import privacy
from gis.access.callers import Caller
from gis.events import queries
from gis.events.queries import EventRef
from gis.models import Plan
from gis.models.security import ROLES
from gis.tiles import mvt

ANY_ROLE = ROLES
"""Any valid key."""
READER_ROLES = ("viewer", "grid_worker", "dispatcher", "planner")
"""Who reads events, plans, grid load and QA (every role)."""
INTAKE_ROLES = ("dispatcher", "grid_worker")
"""Who takes and works events, on the API and on the dispatcher pages."""
DISPATCHER_ROLES = ("dispatcher",)
"""Who places events waiting for a location."""
PLANNING_ROLES = ("planner",)
"""Who draws, edits and decides plans, imports, and reviews QA on the map."""


def check_role(caller: Caller, roles: Iterable[str]) -> Caller:
    """``caller`` when it holds one of ``roles`` (admin always): Unauthenticated (401) without
    a key, Forbidden (403) for another role. For dependencies whose role depends on what they
    resolve (an OGC collection, an export kind, an Open311 key); handlers use the aliases."""
    return caller.require(*roles)


def require(*roles: str) -> Any:
    """A dependency (``Depends``) that admits only ``roles`` (admin always)."""

    async def _check(caller: CallerDep) -> Caller:
        return check_role(caller, roles)

    return Depends(_check)


KeyedCallerDep = Annotated[Caller, require(*ANY_ROLE)]
"""A caller holding a valid key of any role (401 without one)."""
ReaderDep = Annotated[Caller, require(*READER_ROLES)]
IntakeDep = Annotated[Caller, require(*INTAKE_ROLES)]
DispatcherDep = Annotated[Caller, require(*DISPATCHER_ROLES)]
PlannerDep = Annotated[Caller, require(*PLANNING_ROLES)]
DispatchCallerDep = IntakeDep
"""Who opens the dispatcher pages: the intake roles."""
PlanningCallerDep = PlannerDep
"""Who opens the plan and QA pages: planners."""


def current_plan(plan_id: RowId, session: SessionDep, caller: KeyedCallerDep) -> Plan:
    """The plan of the path, if its scope lies in the key's region; else 404."""
    return plans.get_plan_in_scope(session, plan_id, caller.scope)


def current_event(code: str, session: SessionDep, caller: KeyedCallerDep) -> EventRef:
    """The event of the path, if it lies in the key's region; 404 unknown, 403 outside."""
    return queries.get_event_in_scope(session, code, caller.scope)


def page_event(event: Annotated[str, Query(description="event code")], session: SessionDep,
               caller: DispatchCallerDep) -> EventRef:
    """The event of a page's ``?event=CODE``, if it lies in the key's region."""
    return queries.get_event_in_scope(session, event, caller.scope)


def page_event_if_any(session: SessionDep, caller: DispatchCallerDep,
                      event: Annotated[str | None, Query(
                          description="event code; without it the dispatcher console")] = None,
                      ) -> EventRef | None:
    """The event of a page's ``?event=CODE`` (checked as ``page_event``), None without one."""
    return None if event is None else page_event(event, session, caller)


def reveal_requested(caller: CallerDep, reveal: Annotated[bool, Query(
        description="unmasked reporters and personal numbers in free text (admin, "
                    "dispatcher, grid_worker, in their jurisdiction; audited)")] = False) -> bool:
    """Whether the caller asked to see personal data unmasked and may (403 for other roles)."""
    return privacy.may_reveal(caller, requested=reveal)


RevealDep = Annotated[bool, Depends(reveal_requested)]
"""True when the caller asked for unmasked personal data and its role may see it."""
CurrentPlan = Annotated[Plan, Depends(current_plan)]
CurrentEvent = Annotated[EventRef, Depends(current_event)]
PageEvent = Annotated[EventRef, Depends(page_event)]
PageEventIfAny = Annotated[EventRef | None, Depends(page_event_if_any)]


async def readable_tile_layer(layer: str, caller: TileCallerDep) -> mvt.TileLayer:
    """The tile layer of the path if ``caller`` may read it: public layers and footprint
    layers (bare outlines for anonymous callers) for everyone, other layers for any key
    (no I/O: on the event loop)."""
    spec = mvt.get_tile_layer(layer)
    if not spec.anonymous:
        check_role(caller, ANY_ROLE)
    return spec


TileLayerDep = Annotated[mvt.TileLayer, Depends(readable_tile_layer)]
