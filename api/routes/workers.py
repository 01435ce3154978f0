"""Grid workers' public contact (上岗公示): public."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import CallerDep, SessionDep
from api.params import Limit, Offset
from api.responses import json_page
from api.schemas.common import errors
from api.schemas.workers import WorkerPage
from gis.grids import workers

router = APIRouter(prefix="/api/v1/grid-workers", tags=["grid workers"],
                   responses=errors(401, 422))


@router.get("", response_model=WorkerPage)
def list_workers(request: Request, session: SessionDep, caller: CallerDep,
                 grid: str | None = None, limit: Limit = 100, offset: Offset = 0) -> JSONResponse:
    """Workers with name, published phone, duties and supervision phone, per grid served."""
    frame = workers.list_workers(session, grid_code=grid, limit=limit, offset=offset)
    return json_page(request, frame, limit=limit, offset=offset)
