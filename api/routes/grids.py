"""Grids with load figures and the primary worker's public contact: public."""

from fastapi import APIRouter, Request

from api.deps import CallerDep, SessionDep
from api.params import BBoxParam, Limit, Offset
from api.responses import GeoJSONResponse, geojson_feature, geojson_page_rows
from api.schemas.common import errors
from api.schemas.grids import GridCollection, GridFeature
from gis.grids import registry

router = APIRouter(prefix="/api/v1/grids", tags=["grids"],
                   responses=errors(401, 422))


@router.get("", response_class=GeoJSONResponse, response_model=GridCollection)
def list_grids(request: Request, session: SessionDep, caller: CallerDep,
               theme: str = "unified", community: str | None = None, bbox: BBoxParam = None,
               limit: Limit = 100, offset: Offset = 0) -> GeoJSONResponse:
    """Current grids of a theme as GeoJSON (lon/lat) with households, residents, buildings,
    area_km2, open_events and the worker's public contact."""
    rows, matched = registry.grid_page(session, theme=theme, community_code=community,
                                       bbox=bbox, limit=limit, offset=offset)
    return geojson_page_rows(request, rows, matched, limit=limit, offset=offset)


@router.get("/{code}", response_class=GeoJSONResponse,
            response_model=GridFeature, responses=errors(404))
def get_grid(code: str, session: SessionDep, caller: CallerDep,
             theme: str = "unified") -> GeoJSONResponse:
    """One current grid as a GeoJSON Feature."""
    return geojson_feature(registry.get_grid(session, code, theme=theme))
