"""Which grid, community, subdistrict and grid worker a point belongs to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import SessionDep
from api.schemas.common import errors
from api.schemas.locate import Located
from gis.grids import assign, locate_index

router = APIRouter(prefix="/api/v1", tags=["locate"], responses=errors(401, 422))


@router.get("/locate", response_model=Located, response_model_exclude_unset=True)
async def locate(session: SessionDep,
           lon: Annotated[float, Query(description="longitude (or x in metres for a "
                                                   "projected crs)")],
           lat: Annotated[float, Query(description="latitude (or y)")],
           crs: Annotated[str, Query(description="EPSG:4326, EPSG:4490, gcj02 (AMap/Tencent/"
                                                 "WeChat), bd09 (Baidu) or another EPSG code")]
           = "EPSG:4490",
           at: Annotated[datetime | None, Query(description="grids in force at this instant "
                                                            "(default: current grids)")] = None,
           ) -> dict:
    """The grid holding the point (edges count; shared edge → lowest grid code), up to 50 m
    outside → nearest grid with ``outside`` and ``distance_m``; farther → 422."""
    # most points are answered from the process's copy of the grids on the event loop (no
    # thread, no database round trip: gis.grids.locate_index); the rest on a thread
    found = None if at is not None else locate_index.from_memory(
        lambda: assign.locate(session, lon, lat, crs=crs))
    return found if found is not None else await run_in_threadpool(
        assign.locate, session, lon, lat, crs=crs, at=at)
