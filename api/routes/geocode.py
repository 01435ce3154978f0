"""Free-text Chinese addresses to buildings (and their grids)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.schemas.common import errors
from api.schemas.geocode import Geocoded
from gis.places import geocode as geocoding

router = APIRouter(prefix="/api/v1", tags=["geocode"],
                   responses=errors(401, 403, 422))


@router.get("/geocode", response_model=Geocoded,
            response_model_exclude_unset=True)
def geocode(session: SessionDep, caller: KeyedCallerDep,
            q: Annotated[str, Query(description="address, e.g. 连云港市海州区朝阳东路十二号三幢 "
                                                "or 阳光花园小区3号楼2单元")],
            limit: Annotated[int, Query(ge=1, le=50)] = 5) -> dict:
    """Ranked building candidates (score 0..1, by street address or compound name) with each
    building's grid; ``clear`` says whether the best one would place an event without a
    dispatcher."""
    return geocoding.geocode(session, q, limit=limit, scope=caller.scope)
