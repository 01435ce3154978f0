"""HTML map pages (``/map``), their layers after load (``/map/layers/...``) and the offline
static assets they load (``/static/...``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api.deps import CallerDep, PageCsrfDep, SessionDep, SettingsDep
from api.params import BBoxParam
from api.schemas.common import errors
from api.schemas.maps import MapLayers
from gis.core import paging
from layers import assets, overview

router = APIRouter(tags=["maps"],
                   responses=errors(401, 403, 422))

for folder in assets.asset_dirs():
    # Leaflet & co. come from registry packages and are served here: intranets have no CDN
    router.mount(folder.url, StaticFiles(directory=folder.directory), name=folder.url)


@router.get("/map", response_class=HTMLResponse, summary="网格总览地图 (overview map page)")
def get_map(session: SessionDep, caller: CallerDep, settings: SettingsDep, csrf: PageCsrfDep,
            theme: str = "unified", community: str | None = None) -> HTMLResponse:
    """Grids by households, community boundaries, buildings, facilities, water; offline.
    The HTML holds the shell and legend; the layers come from ``/map/layers/overview``."""
    page = overview.render_overview(session, caller, theme=theme, community_code=community,
                                    basemap_url=settings.basemap_url,
                                    building_embed_max=settings.map_embed_max,
                                    grid_embed_max=settings.map_grid_embed_max, csrf=csrf)
    return HTMLResponse(page)


@router.get(overview.LAYERS_URL, response_class=JSONResponse, response_model=MapLayers,
            summary="网格总览图层 (the layers of /map inside a bbox)")
def get_map_layers(session: SessionDep, caller: CallerDep, settings: SettingsDep,
                   theme: str = "unified", community: str | None = None,
                   bbox: BBoxParam = None) -> JSONResponse:
    """The overview's grids, labels, communities, water, facilities (and buildings when the
    page embeds them) inside ``bbox`` as GeoJSON with popups and styles, as /map draws them;
    a district of more than ``GRIDMAP_MAP_GRID_EMBED_MAX`` grids has them drawn from
    /tiles/grids instead, its labels only for views of at most that many grids."""
    return JSONResponse(overview.overview_layers(
        session, caller, theme=theme, community_code=community, bbox=paging.parse_bbox(bbox),
        building_embed_max=settings.map_embed_max, grid_embed_max=settings.map_grid_embed_max,
        basemap_url=settings.basemap_url))
