"""Facilities (party centres, clinics, elderly care, shelters…): public."""

from fastapi import APIRouter, Request

from api.deps import CallerDep, SessionDep
from api.params import BBoxParam, Limit, Offset
from api.responses import GeoJSONResponse, geojson_feature, geojson_page
from api.schemas.common import errors
from api.schemas.facilities import FacilityCollection, FacilityFeature
from gis.places import facilities

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"],
                   responses=errors(401, 422))


@router.get("", response_class=GeoJSONResponse, response_model=FacilityCollection)
def list_facilities(request: Request, session: SessionDep, caller: CallerDep,
                    type: str | None = None, community: str | None = None,
                    bbox: BBoxParam = None, limit: Limit = 100,
                    offset: Offset = 0) -> GeoJSONResponse:
    """Facilities as GeoJSON (lon/lat points or polygons), filtered by type and bbox."""
    frame = facilities.list_facilities(session, type=type, community_code=community,
                                       bbox=bbox, limit=limit, offset=offset)
    return geojson_page(request, frame, limit=limit, offset=offset)


@router.get("/{code}", response_class=GeoJSONResponse,
            response_model=FacilityFeature, responses=errors(404))
def get_facility(code: str, session: SessionDep, caller: CallerDep) -> GeoJSONResponse:
    """One facility as a GeoJSON Feature."""
    return geojson_feature(facilities.get_facility(session, code))
