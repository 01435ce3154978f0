"""HTML map pages (``/map``) and the offline static assets they load (``/static/...``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.deps import CallerDep, PageCsrfDep, SessionDep, SettingsDep
from api.schemas.common import errors
from layers import assets, overview

router = APIRouter(tags=["maps"],
                   responses=errors(401, 403, 422))

for folder in assets.asset_dirs():
    # Leaflet & co. come from registry packages and are served here: intranets have no CDN
    router.mount(folder.url, StaticFiles(directory=folder.directory), name=folder.url)


@router.get("/map", response_class=HTMLResponse, summary="网格总览地图 (overview map page)")
def get_map(session: SessionDep, caller: CallerDep, settings: SettingsDep, csrf: PageCsrfDep,
            theme: str = "unified", community: str | None = None) -> HTMLResponse:
    """Grids by households, community boundaries, buildings, facilities, water; offline."""
    page = overview.render_overview(session, caller, theme=theme, community_code=community,
                                    basemap_url=settings.basemap_url,
                                    building_embed_max=settings.map_embed_max, csrf=csrf)
    return HTMLResponse(page)
