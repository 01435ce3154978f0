"""Buildings: any API key (not public: addresses with household counts)."""

from fastapi import APIRouter, Request

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.params import BBoxParam, Limit, Offset
from api.responses import GeoJSONResponse, geojson_feature, geojson_page
from api.schemas.buildings import BuildingCollection, BuildingFeature
from api.schemas.common import errors
from gis.places import buildings

router = APIRouter(prefix="/api/v1/buildings", tags=["buildings"],
                   responses=errors(401, 403, 422))


@router.get("", response_class=GeoJSONResponse, response_model=BuildingCollection)
def list_buildings(request: Request, session: SessionDep, caller: KeyedCallerDep,
                   grid: str | None = None, community: str | None = None,
                   bbox: BBoxParam = None, limit: Limit = 100,
                   offset: Offset = 0) -> GeoJSONResponse:
    """Buildings as GeoJSON (lon/lat), filtered by grid code, community code and bbox."""
    frame = buildings.list_buildings(session, grid_code=grid, community_code=community,
                                     bbox=bbox, limit=limit, offset=offset,
                                     scope=caller.scope)
    return geojson_page(request, frame, limit=limit, offset=offset)


@router.get("/{code}", response_class=GeoJSONResponse,
            response_model=BuildingFeature, responses=errors(404))
def get_building(code: str, session: SessionDep, caller: KeyedCallerDep) -> GeoJSONResponse:
    """One building as a GeoJSON Feature."""
    return geojson_feature(buildings.get_building(session, code, scope=caller.scope))
