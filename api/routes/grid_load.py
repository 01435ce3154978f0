"""Grid load against the household rules: ``GET /api/v1/grids/load``.

Mounted before the grids router so ``/grids/load`` is not read as the grid code "load".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import ReaderDep
from api.deps import SessionDep, SettingsDep
from api.schemas.common import errors
from api.schemas.grids import GridLoad
from gis.core import frames
from gis.grids import grid_load, household_rules

router = APIRouter(prefix="/api/v1", tags=["grid load"],
                   responses=errors(401, 403, 404, 422))


@router.get("/grids/load", response_model=GridLoad,
            response_model_exclude_unset=True)
def read_grid_load(session: SessionDep, caller: ReaderDep, settings: SettingsDep, *,
              theme: str = "unified",
              scope: Annotated[str | None, Query(description="community/subdistrict code")] = None,
              only_out_of_range: bool = False, months: int = 3,
              residential_min: int | None = None, residential_max: int | None = None,
              rural_min: int | None = None, rural_max: int | None = None) -> dict:
    """Each grid's households, residents, buildings, km², events/month and special groups,
    with its status (ok/oversized/undersized/exempt) and the reason."""
    used = household_rules.rules_with(household_rules.rules_from(settings),
                                      residential_min=residential_min,
                                      residential_max=residential_max,
                                      rural_min=rural_min, rural_max=rural_max)
    frame = grid_load.list_grid_load(session, theme=theme, scope_code=scope, months=months,
                                     rules=used, scope=caller.scope)
    bad = grid_load.out_of_range(frame)
    shown = bad if only_out_of_range else frame
    return {"theme": theme, "scope": scope, "rules": used.model_dump(mode="json"),
            "count": len(frame), "out_of_range": len(bad),
            "grids": frames.records_from_frame(shown)}
