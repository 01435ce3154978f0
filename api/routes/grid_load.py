"""Grid load against the household rules: ``GET /api/v1/grids/load``.

Mounted before the grids router so ``/grids/load`` is not read as the grid code "load".
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CallerDep, SessionDep
from gis.core import frames
from gis.grids import grid_load, household_rules

router = APIRouter(prefix="/api/v1", tags=["grid load"])
READERS = ("viewer", "grid_worker", "dispatcher", "planner")


@router.get("/grids/load")
def read_grid_load(session: SessionDep, caller: CallerDep, *,
              theme: str = "unified",
              scope: Annotated[str | None, Query(description="community/subdistrict code")] = None,
              only_out_of_range: bool = False, months: int = 3,
              residential_min: int | None = None, residential_max: int | None = None,
              rural_min: int | None = None, rural_max: int | None = None) -> dict:
    """Each grid's households, residents, buildings, km², events/month and special groups,
    with its status (ok/oversized/undersized/exempt) and the reason."""
    caller.require(*READERS)
    used = household_rules.rules_with(residential_min=residential_min,
                                      residential_max=residential_max,
                                      rural_min=rural_min, rural_max=rural_max)
    frame = grid_load.list_grid_load(session, theme=theme, scope_code=scope, months=months,
                                     rules=used)
    bad = grid_load.out_of_range(frame)
    shown = bad if only_out_of_range else frame
    return {"theme": theme, "scope": scope, "rules": used.model_dump(mode="json"),
            "count": len(frame), "out_of_range": len(bad),
            "grids": frames.records_from_frame(shown)}
