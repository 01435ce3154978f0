"""Free-text Chinese addresses to buildings (and their grids), points back to addresses, and
the console's one search box."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.access import KeyedCallerDep
from api.deps import SessionDep
from api.schemas.common import errors
from api.schemas.geocode import Geocoded, PlaceFound, ReverseGeocoded
from gis.grids import search
from gis.places import geocode as geocoding

router = APIRouter(prefix="/api/v1", tags=["geocode"],
                   responses=errors(401, 403, 422))
CrsParam = Annotated[str, Query(description="CRS of the coordinates: EPSG:4326, EPSG:4490, "
                                            "gcj02 (AMap/Tencent/WeChat), bd09 (Baidu) or "
                                            "another EPSG code")]


@router.get("/geocode", response_model=Geocoded,
            response_model_exclude_unset=True)
def geocode(session: SessionDep, caller: KeyedCallerDep,
            q: Annotated[str, Query(description="address, e.g. 连云港市海州区朝阳东路十二号三幢 "
                                                "or 阳光花园小区3号楼2单元")],
            limit: Annotated[int, Query(ge=1, le=50)] = 5) -> dict:
    """Ranked building candidates (score 0..1, by street address or compound name) with each
    building's grid and grid worker's public contact; ``clear`` says whether the best one
    would place an event without a dispatcher."""
    return geocoding.geocode(session, q, limit=limit, scope=caller.scope)


@router.get("/geocode/reverse", response_model=ReverseGeocoded)
def reverse_geocode(session: SessionDep, caller: KeyedCallerDep,
                    lon: Annotated[float, Query(description="longitude")],
                    lat: Annotated[float, Query(description="latitude")],
                    crs: CrsParam = "EPSG:4490") -> dict:
    """The grid, community and grid worker of a point (as ``/locate``) and the nearest
    building's address within 150 m among the buildings of the key's region; farther than
    50 m outside every grid is a 422."""
    return search.reverse_geocode(session, lon, lat, crs=crs, scope=caller.scope)


@router.get("/geocode/search", response_model=PlaceFound, responses=errors(404))
def search_place(session: SessionDep, caller: KeyedCallerDep,
                 q: Annotated[str, Query(description="an address, compound (小区) name, "
                                                     "building code, grid code or name, or "
                                                     "coordinates 'lon,lat' in crs")],
                 crs: CrsParam = "EPSG:4490") -> dict:
    """The place a dispatcher's search text names, with its grid, community, grid worker and
    nearest building's address (buildings and addresses of the key's region only)."""
    return search.search(session, q, crs=crs, scope=caller.scope)
