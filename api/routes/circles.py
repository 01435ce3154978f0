"""Service circles (public), coverage and new sites (key holders), and the coverage map."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse

from api.access import ReaderDep
from api.deps import CallerDep, SessionDep, SettingsDep
from api.params import OptionalRowId
from api.responses import GeoJSONResponse
from api.schemas.circles import CircleCollection, Coverage, Sites
from api.schemas.common import errors
from api.schemas.maps import MapLayers
from gis.core import frames
from gis.network import circles, coverage, siting
from layers import circles as circle_layers

router = APIRouter(tags=["circles"],
                   responses=errors(401, 403, 422))

Type = Annotated[str, Query(description="facility type, e.g. party_center, clinic, "
                                        "elderly_care, shelter")]
Minutes = Annotated[float, Query(ge=1, le=120, description="walking time budget, minutes "
                                                           "(10 = GB 50180 life circle)")]
Speed = Annotated[float, Query(ge=10, le=200, description="walking speed, metres per minute "
                                                          "(50 default; 4.5 km/h = 75)")]
Level = Literal["grid", "community", "subdistrict"]


@router.get("/api/v1/service-circles", response_class=GeoJSONResponse,
            response_model=CircleCollection)
def list_service_circles(session: SessionDep, caller: CallerDep, type: Type = "party_center",
                         minutes: Minutes = 10, speed: Speed = 50,
                         facility: OptionalRowId = None) -> GeoJSONResponse:
    """Walking isochrones (GeoJSON polygons, lon/lat) of facilities of ``type`` (or one
    ``facility`` id); facilities over 200 m from the network are listed under ``skipped``."""
    coverage.check_type(type)
    frame = circles.list_service_circles(
        session, type=None if facility else type, facility_ids=[facility] if facility else None,
        minutes=minutes, speed=speed, strict=facility is not None)
    return GeoJSONResponse(frames.feature_collection_from_frame(
        frame, id_column="facility_id", extra={"skipped": frame.attrs.get("skipped", [])}))


@router.get("/api/v1/coverage", response_model=Coverage,
            response_model_exclude_unset=True)
def get_coverage(session: SessionDep, caller: ReaderDep, type: Type = "party_center",
                 minutes: Minutes = 10, speed: Speed = 50,
                 level: Level = "community") -> dict:
    """Households within the walk of a facility of ``type``: totals, rate per unit (0–1),
    uncovered buildings (most households first) and each facility's catchment; only the
    buildings of the caller's jurisdiction."""
    return coverage.get_coverage(session, type=type, minutes=minutes, speed=speed, level=level,
                                 scope_code=caller.scope)


@router.get("/api/v1/coverage/sites", response_model=Sites,
            response_model_exclude_unset=True)
def list_sites(session: SessionDep, caller: ReaderDep, type: Type = "party_center",
               k: Annotated[int, Query(ge=1, le=50)] = 3, minutes: Minutes = 10,
               speed: Speed = 50, candidates: Annotated[str | None, Query(
                   description="candidate sites 'lon,lat;lon,lat' (default: network nodes)")]
               = None) -> dict:
    """The k new sites (lon/lat) covering the most uncovered households (of the caller's
    jurisdiction), greedily."""
    return siting.list_sites(session, type=type, k=k, minutes=minutes, speed=speed,
                            candidates=siting.parse_candidates(candidates),
                            scope_code=caller.scope)


@router.get("/map/coverage", response_class=HTMLResponse,
            summary="生活服务圈覆盖图 (service-circle coverage map)")
def get_coverage_map(session: SessionDep, caller: CallerDep, settings: SettingsDep,
                     type: Type = "party_center", minutes: Minutes = 10, speed: Speed = 50,
                     k: Annotated[int, Query(ge=0, le=20)] = 3) -> HTMLResponse:
    """Circles, facilities, buildings covered/uncovered, new sites, coverage rate; offline.
    The HTML holds the shell and legend; layers and figures come from /map/layers/coverage."""
    coverage.check_type(type)
    return HTMLResponse(circle_layers.render_coverage(
        session, caller, type=type, minutes=minutes, speed=speed, k=k,
        basemap_url=settings.basemap_url, building_embed_max=settings.map_embed_max))


@router.get(circle_layers.LAYERS_URL, response_class=JSONResponse, response_model=MapLayers,
            summary="服务圈覆盖图层 (the layers and legend figures of /map/coverage)")
def get_coverage_layers(session: SessionDep, caller: CallerDep, settings: SettingsDep,
                        type: Type = "party_center", minutes: Minutes = 10, speed: Speed = 50,
                        k: Annotated[int, Query(ge=0, le=20)] = 3) -> JSONResponse:
    """The coverage map's circles, facilities, buildings, sites (GeoJSON with popups and
    styles) and its legend's figures, as /map/coverage draws them."""
    coverage.check_type(type)
    return JSONResponse(circle_layers.coverage_layers(
        session, caller, type=type, minutes=minutes, speed=speed, k=k,
        building_embed_max=settings.map_embed_max, basemap_url=settings.basemap_url))
