"""OGC API – Features (Part 1: core + GeoJSON) over the same gis read services.

Collections are grids (unified theme), regions, facilities (public) and buildings (any key).
Feature ids are the objects' codes. Coordinates are CRS84 (lon/lat; CGCS2000 ≈ WGS84).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api import access
from api.deps import CallerDep, SessionDep
from api.params import BBoxParam, Offset
from api.responses import GEOJSON, GeoJSONResponse, geojson_feature, geojson_page
from api.schemas.common import errors
from api.schemas.ogc import CollectionInfo, Collections, Conformance, Item, Items, Landing
from gis.access.callers import Caller
from gis.core.errors import NotFound
from gis.grids import registry
from gis.places import buildings, facilities, regions

router = APIRouter(prefix="/ogc", tags=["OGC API Features"],
                   responses=errors(401, 403, 404, 422))
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"]


@dataclass(frozen=True)
class Collection:
    title: str
    description: str
    items: Callable  # list_<noun>(session, *, bbox, limit, offset[, scope])
    item: Callable  # get_<noun>(session, code[, *, scope])
    keyed: bool = False  # keyed collections take the caller's jurisdiction as ``scope``


COLLECTIONS = {
    "grids": Collection("网格 Grids", "current unified grids with load figures and the grid "
                        "worker's public contact", registry.list_grids, registry.get_grid),
    "regions": Collection("行政区划 Admin units", "district, subdistricts and communities",
                          regions.list_regions, regions.get_region),
    "facilities": Collection("设施 Facilities", "party centres, clinics, elderly care, schools, "
                             "shelters…", facilities.list_facilities, facilities.get_facility),
    "buildings": Collection("建筑 Buildings", "buildings with standard addresses (API key "
                            "needed)", buildings.list_buildings, buildings.get_building,
                            keyed=True),
}


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def readable_collection(collection_id: str, caller: CallerDep) -> Collection:
    """The collection of the path if it exists (404) and the caller may read it: a keyed one
    needs a key of any role (401)."""
    found = COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"no collection '{collection_id}': use one of {', '.join(COLLECTIONS)}")
    if found.keyed:
        access.check_role(caller, access.ANY_ROLE)
    return found


CollectionDep = Annotated[Collection, Depends(readable_collection)]


def _scope(caller: Caller, collection: Collection) -> dict:
    """``scope=`` for a keyed collection's read services (the caller's jurisdiction)."""
    return {"scope": caller.scope} if collection.keyed else {}


def _describe(request: Request, collection_id: str) -> dict:
    found, href = COLLECTIONS[collection_id], f"{_root(request)}/collections/{collection_id}"
    return {"id": collection_id, "title": found.title, "description": found.description,
            "itemType": "feature", "crs": [CRS84],
            "links": [{"rel": "self", "type": "application/json", "href": href},
                      {"rel": "items", "type": GEOJSON, "href": f"{href}/items"}]}


@router.get("", response_model=Landing,
            response_model_exclude_unset=True)
def landing_page(request: Request, caller: CallerDep) -> dict:
    """Landing page: links to the API definition, conformance and collections."""
    root, base = _root(request), str(request.base_url).rstrip("/")
    return {"title": "gridmap OGC API – Features", "description": "网格化管理 GIS layers",
            "links": [
                {"rel": "self", "type": "application/json", "href": root},
                {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                 "href": f"{base}/openapi.json"},
                {"rel": "service-doc", "type": "text/html", "href": f"{base}/docs"},
                {"rel": "conformance", "type": "application/json",
                 "href": f"{root}/conformance"},
                {"rel": "data", "type": "application/json", "href": f"{root}/collections"}]}


@router.get("/conformance", response_model=Conformance,
            response_model_exclude_unset=True)
def conformance(caller: CallerDep) -> dict:
    """The conformance classes implemented (Features core and GeoJSON)."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", response_model=Collections,
            response_model_exclude_unset=True)
def list_collections(request: Request, caller: CallerDep) -> dict:
    """The collections this caller may read (buildings only with a key)."""
    ids = [cid for cid, c in COLLECTIONS.items() if not c.keyed or not caller.is_anonymous]
    return {"collections": [_describe(request, cid) for cid in ids],
            "links": [{"rel": "self", "type": "application/json",
                       "href": f"{_root(request)}/collections"}]}


@router.get("/collections/{collection_id}", response_model=CollectionInfo,
            response_model_exclude_unset=True)
def get_collection(collection: CollectionDep, collection_id: str, request: Request) -> dict:
    """One collection's description."""
    return _describe(request, collection_id)


@router.get("/collections/{collection_id}/items", response_class=GeoJSONResponse,
            response_model=Items)
def list_items(collection: CollectionDep, request: Request, session: SessionDep,
               caller: CallerDep, bbox: BBoxParam = None, limit: int = 10,
               offset: Offset = 0) -> GeoJSONResponse:
    """Features of a collection (GeoJSON, CRS84), filtered by bbox, paged by limit/offset."""
    frame = collection.items(session, bbox=bbox, limit=limit, offset=offset,
                             **_scope(caller, collection))
    extra = {"timeStamp": datetime.now(UTC).isoformat(timespec="seconds")}
    return geojson_page(request, frame, limit=limit, offset=offset, extra=extra)


@router.get("/collections/{collection_id}/items/{feature_id}", response_class=GeoJSONResponse,
            response_model=Item)
def get_item(collection: CollectionDep, collection_id: str, feature_id: str, request: Request,
             session: SessionDep, caller: CallerDep) -> GeoJSONResponse:
    """One feature by its code."""
    frame = collection.item(session, feature_id, **_scope(caller, collection))
    href = f"{_root(request)}/collections/{collection_id}"
    return geojson_feature(frame, links=[
        {"rel": "self", "type": GEOJSON, "href": f"{href}/items/{feature_id}"},
        {"rel": "collection", "type": "application/json", "href": href}])
