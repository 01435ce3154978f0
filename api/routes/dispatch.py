"""The dispatcher's pages (``/map/dispatch``) and the offline heatmap script they may load."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from api.access import DispatchCallerDep, PageEventIfAny, RevealDep
from api.deps import PageCsrfDep, SessionDep, SettingsDep
from api.schemas.common import errors
from layers import console, dispatch
from layers import events as event_layers

router = APIRouter(tags=["maps"],
                   responses=errors(401, 403, 404, 422))


@router.get("/map/dispatch", response_class=HTMLResponse, summary="事件调度 (dispatcher)")
def get_dispatch_map(caller: DispatchCallerDep, event: PageEventIfAny, session: SessionDep,
                     settings: SettingsDep, reveal: RevealDep,
                     csrf: PageCsrfDep) -> HTMLResponse:
    """Without ``event``: the dispatcher console (search, intake form, 待定位 queue). With
    ``event``: the incident, its grid, the worker's contact card, facilities and open events
    nearby, and the event's timeline (dispatcher or grid worker; events of their region
    only); personal data masked unless ``reveal=true`` (audited)."""
    if event is None:
        return HTMLResponse(console.render_console(session, caller, csrf=csrf,
                                                   basemap_url=settings.basemap_url))
    return HTMLResponse(dispatch.render_dispatch(session, caller, event.code, reveal=reveal,
                                                 basemap_url=settings.basemap_url))


@router.get("/map/dispatch/list", response_class=HTMLResponse,
            summary="未结事件清单 (open events per grid)")
def get_dispatch_list(session: SessionDep, caller: DispatchCallerDep,
                      grid: str | None = None) -> HTMLResponse:
    """Open events per grid (of the caller's region), overdue first, linking to the
    dispatcher map."""
    return HTMLResponse(dispatch.render_dispatch_list(session, caller, grid_code=grid))


@router.get(event_layers.HEAT_JS_URL, include_in_schema=False)
def get_heat_js() -> FileResponse:
    """Leaflet.heat as shipped in the folium wheel (pages must work without a CDN)."""
    return FileResponse(event_layers.heat_js_file(), media_type="text/javascript")
