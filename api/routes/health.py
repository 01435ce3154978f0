"""Liveness and database reachability."""

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import CallerDep, SessionDep
from api.schemas.common import errors
from api.schemas.health import Health

router = APIRouter(prefix="/api/v1", tags=["health"],
                   responses=errors(401))


@router.get("/health", response_model=Health,
            response_model_exclude_unset=True)
def health(session: SessionDep, caller: CallerDep) -> dict:
    """Whether the API and its database answer, and which PostGIS they run."""
    postgis = session.execute(text("SELECT postgis_lib_version()")).scalar_one()
    return {"status": "ok", "postgis": postgis, "caller": caller.role or "anonymous"}
