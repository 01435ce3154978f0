"""Admin units (区/街道/社区): public."""

from fastapi import APIRouter, Request

from api.deps import CallerDep, SessionDep
from api.params import BBoxParam, Limit, Offset
from api.responses import GeoJSONResponse, geojson_feature, geojson_page
from api.schemas.common import errors
from api.schemas.regions import RegionCollection, RegionFeature
from gis.places import regions

router = APIRouter(prefix="/api/v1/regions", tags=["regions"],
                   responses=errors(401, 422))


@router.get("", response_class=GeoJSONResponse, response_model=RegionCollection)
def list_regions(request: Request, session: SessionDep, caller: CallerDep,
                 level: str | None = None, parent: str | None = None, bbox: BBoxParam = None,
                 limit: Limit = 100, offset: Offset = 0) -> GeoJSONResponse:
    """Admin units as GeoJSON (lon/lat), filtered by level, parent code and bbox."""
    frame = regions.list_regions(session, level=level, parent_code=parent, bbox=bbox,
                                 limit=limit, offset=offset)
    return geojson_page(request, frame, limit=limit, offset=offset)


@router.get("/{code}", response_class=GeoJSONResponse,
            response_model=RegionFeature, responses=errors(404))
def get_region(code: str, session: SessionDep, caller: CallerDep) -> GeoJSONResponse:
    """One admin unit as a GeoJSON Feature."""
    return geojson_feature(regions.get_region(session, code))
