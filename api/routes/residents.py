"""Households and residents (一户一档): any key. Personal data is masked unless the caller asks
(reveal=true), its role may see it and the building lies in its jurisdiction; asking without
such a role, or reading outside the jurisdiction, is 403. Every reveal is audited."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.params import Limit, Offset
from api.responses import json_page
from api.schemas.common import errors
from api.schemas.residents import HouseholdPage, ResidentPage
from gis.people import residents

router = APIRouter(prefix="/api/v1", tags=["residents"],
                   responses=errors(401, 403, 404, 422))
Reveal = Annotated[bool, Query(description="unmasked names, ID numbers and phones (admin, "
                               "dispatcher, grid_worker in their jurisdiction; audited)")]


@router.get("/buildings/{code}/households", response_model=HouseholdPage)
def list_households(code: str, request: Request, session: SessionDep, caller: KeyedCallerDep,
                    reveal: Reveal = False, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """Households of a building; head's name and phone masked unless revealed."""
    scope = residents.get_scope(session, building_code=code)
    reveal = residents.may_reveal(caller, scope, requested=reveal)
    frame = residents.list_households(session, building_code=code, reveal=reveal,
                                      actor=caller.name, limit=limit, offset=offset)
    return json_page(request, frame, limit=limit, offset=offset)


@router.get("/residents", response_model=ResidentPage)
def list_residents(request: Request, session: SessionDep, caller: KeyedCallerDep,
                   building: str | None = None, grid: str | None = None,
                   reveal: Reveal = False, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """Residents of one building or one unified grid (exactly one of the two)."""
    scope = residents.get_scope(session, building_code=building, grid_code=grid)
    reveal = residents.may_reveal(caller, scope, requested=reveal)
    frame = residents.list_residents(session, building_code=building, grid_code=grid,
                                     reveal=reveal, actor=caller.name, limit=limit,
                                     offset=offset)
    return json_page(request, frame, limit=limit, offset=offset)
