"""OGC API – Features (Part 1 core + GeoJSON, Part 2 CRS) over the gis read services.

Collections (api/ogc.py): grids (with ``datetime`` over their validity), regions, facilities
(points) and facility_areas (polygons), public; buildings and open events, with a key (a
Bearer header, HTTP Basic or ``?key=``, for GIS clients that cannot send headers). Feature ids
are the objects' codes; coordinates CRS84 unless ``crs`` asks for another offered CRS.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import access, ogc
from api.deps import CallerDep, SessionDep, SettingsDep
from api.responses import GEOJSON, GeoJSONResponse, geojson_feature, geojson_page, page_links
from api.schemas.common import errors
from api.schemas.ogc import (
    CollectionInfo,
    Collections,
    Conformance,
    Item,
    Items,
    Landing,
    Queryables,
)
from gis.core.errors import NotFound
from gis.places import extents
from layers import ogc_pages

router = APIRouter(prefix="/ogc", tags=["OGC API Features"],
                   responses=errors(400, 401, 403, 404, 422))
CONFORMANCE = ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
               "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
               "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
               "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
               "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
               "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
               "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
               "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
               "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
               "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
               "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions"]
CrsParam = Annotated[str | None, Query(description="output CRS URI (default CRS84)")]
# Documented here for clients and the OpenAPI document; read and checked by api/ogc.py from
# the query string (with the collection's queryables, which vary by collection).
BBox = Annotated[str | None, Query(description="lower corner, upper corner in bbox-crs "
                                   "(default CRS84 lon/lat); features intersecting it")]
BBoxCrs = Annotated[str | None, Query(alias="bbox-crs", description="CRS URI of bbox")]
When = Annotated[str | None, Query(
    alias="datetime", description="RFC 3339 instant or interval (start/end, '..' open)")]
Limit = Annotated[str | None, Query(description="features per page, 1…max (clamped); "
                                    "default 10")]
Start = Annotated[str | None, Query(description="features to skip")]
Filter = Annotated[str | None, Query(alias="filter", description=(
    "CQL2 filter over the queryables and `geometry` (CRS84), e.g. "
    "`households > 300 AND S_INTERSECTS(geometry, POLYGON((…)))`"))]
FilterLang = Annotated[str | None, Query(alias="filter-lang",
                                         description="cql2-text (default) or cql2-json")]


def wants_html(request: Request) -> bool:
    """``f=html``, or a browser asking for HTML without ``f`` (GIS clients ask for JSON)."""
    f = request.query_params.get("f")
    if f is not None:
        return f == "html"
    return "text/html" in request.headers.get("accept", "")


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def readable_collection(collection_id: str, caller: CallerDep) -> ogc.Collection:
    """The collection of the path if it exists (404) and the caller may read it: a keyed one
    needs a key of any role (401)."""
    found = ogc.COLLECTIONS.get(collection_id)
    if found is None:
        raise NotFound(f"no collection '{collection_id}': use one of "
                       f"{', '.join(ogc.COLLECTIONS)}")
    if found.keyed:
        access.check_role(caller, access.ANY_ROLE)
    return found


CollectionDep = Annotated[ogc.Collection, Depends(readable_collection)]


def _describe(request: Request, collection_id: str, extent: extents.Extent | None) -> dict:
    found, href = ogc.COLLECTIONS[collection_id], f"{_root(request)}/collections/{collection_id}"
    info: dict[str, Any] = {
        "id": collection_id, "title": found.title, "description": found.description,
            "itemType": "feature", "crs": list(ogc.SUPPORTED_CRS), "storageCrs": ogc.CRS84,
            "links": [{"rel": "self", "type": "application/json", "href": href},
                      {"rel": "items", "type": GEOJSON, "href": f"{href}/items"},
                      {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                       "type": "application/schema+json", "href": f"{href}/queryables"}]}
    if extent is not None:
        info["extent"] = ogc.describe_extent(*extent, temporal=found.temporal is not None)
    return info


def _readable_ids(caller: CallerDep) -> list[str]:
    return [cid for cid, c in ogc.COLLECTIONS.items() if not c.keyed or not caller.is_anonymous]


TITLE, DESCRIPTION = "gridmap OGC API – Features", "网格化管理 GIS layers"


@router.get("", response_model=Landing, response_model_exclude_unset=True)
def landing_page(request: Request, caller: CallerDep) -> dict | HTMLResponse:
    """Landing page: links to the API definition, conformance and collections (JSON, or
    HTML with ``f=html``)."""
    root, base = _root(request), str(request.base_url).rstrip("/")
    links = [{"rel": "self", "type": "application/json", "href": root},
             {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
              "href": f"{base}/openapi.json"},
             {"rel": "service-doc", "type": "text/html", "href": f"{base}/docs"},
             {"rel": "conformance", "type": "application/json", "href": f"{root}/conformance"},
             {"rel": "data", "type": "application/json", "href": f"{root}/collections"},
             {"rel": "alternate", "type": "text/html", "href": f"{root}?f=html"}]
    if wants_html(request):
        return HTMLResponse(ogc_pages.landing_html(TITLE, DESCRIPTION, links))
    return {"title": TITLE, "description": DESCRIPTION, "links": links}


@router.get("/conformance", response_model=Conformance, response_model_exclude_unset=True)
def conformance(caller: CallerDep) -> dict:
    """The conformance classes implemented."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", response_model=Collections, response_model_exclude_unset=True)
def list_collections(request: Request, caller: CallerDep,
                     session: SessionDep) -> dict | HTMLResponse:
    """The collections this caller may read (buildings and events only with a key), each
    with its extent (keyed ones: inside the caller's region); HTML with ``f=html``."""
    found = extents.collection_extents(session, scope=caller.scope)
    described = [_describe(request, cid, found.get(cid)) for cid in _readable_ids(caller)]
    if wants_html(request):
        return HTMLResponse(ogc_pages.collections_html(described))
    return {"collections": described,
            "links": [{"rel": "self", "type": "application/json",
                       "href": f"{_root(request)}/collections"},
                      {"rel": "alternate", "type": "text/html",
                       "href": f"{_root(request)}/collections?f=html"}]}


@router.get("/collections/{collection_id}", response_model=CollectionInfo,
            response_model_exclude_unset=True)
def get_collection(collection: CollectionDep, collection_id: str, request: Request,
                   caller: CallerDep, session: SessionDep) -> dict:
    """One collection's description with its extent."""
    found = extents.collection_extents(session, scope=caller.scope)
    return _describe(request, collection_id, found.get(collection_id))


@router.get("/collections/{collection_id}/queryables", response_model=Queryables,
            response_model_exclude_unset=True)
def get_queryables(collection: CollectionDep, collection_id: str, request: Request) -> dict:
    """The properties items may be filtered by (``?name=value``), as a JSON Schema."""
    href = f"{_root(request)}/collections/{collection_id}/queryables"
    props: dict = {name: {"type": kind, "title": name}
                   for name, kind in collection.queryables.items()}
    props["geometry"] = {"format": f"geometry-{collection.geometry.lower()}"}
    if collection.temporal:
        props["datetime"] = {"type": "string", "format": "date-time"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": href,
            "type": "object", "title": collection.title, "properties": props,
            "additionalProperties": False}


@router.get("/collections/{collection_id}/items", response_class=GeoJSONResponse,
            response_model=Items)
def list_items(collection: CollectionDep, request: Request, session: SessionDep,
               caller: CallerDep, settings: SettingsDep, *, crs: CrsParam = None,
               bbox: BBox = None, bbox_crs: BBoxCrs = None, when: When = None,
               limit: Limit = None, offset: Start = None, cql: Filter = None,
               cql_lang: FilterLang = None) -> Response:
    """Features of a collection: ``bbox`` (intersecting; ``bbox-crs``), ``datetime``,
    queryable properties (``?community_code=…``, see /queryables), ``limit`` (clamped) and
    ``offset``."""
    target = ogc.output_crs(crs)
    query = ogc.item_query(collection, request.query_params, max_limit=settings.max_page_size)
    frame = collection.list_items(session, caller, query)
    if wants_html(request):
        matched = int(frame.attrs["number_matched"])
        links = page_links(request, returned=len(frame), matched=matched, limit=query.limit,
                           offset=query.offset)
        return HTMLResponse(ogc_pages.items_html(frame, title=collection.title, links=links,
                                                 matched=matched))
    answer = geojson_page(request, ogc.reproject(frame, target), limit=query.limit,
                          offset=query.offset, extra={"timeStamp": ogc.now_iso()})
    answer.headers["Content-Crs"] = f"<{target}>"
    return answer


@router.get("/collections/{collection_id}/items/{feature_id}", response_class=GeoJSONResponse,
            response_model=Item)
def get_item(collection: CollectionDep, collection_id: str, feature_id: str, request: Request,
             session: SessionDep, caller: CallerDep, crs: CrsParam = None) -> GeoJSONResponse:
    """One feature by its code."""
    target = ogc.output_crs(crs)
    frame = collection.get_item(session, caller, feature_id)
    href = f"{_root(request)}/collections/{collection_id}"
    answer = geojson_feature(ogc.reproject(frame, target), links=[
        {"rel": "self", "type": GEOJSON, "href": f"{href}/items/{feature_id}"},
        {"rel": "collection", "type": "application/json", "href": href}])
    answer.headers["Content-Crs"] = f"<{target}>"
    return answer
