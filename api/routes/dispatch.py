"""The dispatcher's pages (``/map/dispatch``) and the offline heatmap script they may load."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from api.access import DispatchCallerDep, PageEvent, PageEventIfAny, RevealDep
from api.deps import PageCsrfDep, SessionDep, SettingsDep
from api.params import BBoxParam
from api.schemas.common import errors
from api.schemas.maps import MapLayers
from gis.core import paging
from gis.events.queue import QueueFilter
from layers import case, console, dispatch, dispatch_list
from layers import events as event_layers

router = APIRouter(tags=["maps"],
                   responses=errors(401, 403, 404, 422))


@router.get("/map/dispatch", response_class=HTMLResponse, summary="事件调度 (dispatcher)")
def get_dispatch_map(caller: DispatchCallerDep, event: PageEventIfAny, session: SessionDep,
                     settings: SettingsDep, reveal: RevealDep,
                     csrf: PageCsrfDep) -> HTMLResponse:
    """Without ``event``: the dispatcher console (search, intake form, 待定位 queue). With
    ``event``: the incident, its grid, the worker's contact card, facilities and open events
    nearby, and its case panel: the actions the caller's role may take, the timeline
    (dispatcher or grid worker; events of their region only); personal data masked unless
    ``reveal=true`` (audited)."""
    if event is None:
        return HTMLResponse(console.render_console(session, caller, csrf=csrf,
                                                   basemap_url=settings.basemap_url))
    return HTMLResponse(dispatch.render_dispatch(session, caller, event.code, reveal=reveal,
                                                 basemap_url=settings.basemap_url, csrf=csrf))


@router.get("/map/dispatch/case", response_class=HTMLResponse,
            summary="事件办理面板 (the case panel, reloaded after each action)")
def get_case_panel(caller: DispatchCallerDep, event: PageEvent, session: SessionDep,
                   reveal: RevealDep) -> HTMLResponse:
    """The case panel of ``/map/dispatch?event=CODE`` alone (an HTML fragment), which its
    script reloads after each action."""
    return HTMLResponse(case.case_panel_html(session, caller, event.code, reveal=reveal))


@router.get(dispatch.LAYERS_URL, response_class=JSONResponse, response_model=MapLayers,
            summary="事件页图层 (facilities and open events near the case, after load)")
def get_case_layers(caller: DispatchCallerDep, event: PageEvent, session: SessionDep,
                    settings: SettingsDep) -> JSONResponse:
    """Facilities around event ``event`` and the open events within 300 m of it (masked), as
    GeoJSON with popups and styles, as /map/dispatch?event= draws them."""
    return JSONResponse(dispatch.case_layers(session, caller, event.code,
                                             basemap_url=settings.basemap_url))


@router.get(console.LAYERS_URL, response_class=JSONResponse, response_model=MapLayers,
            summary="受理台网格图层 (the console's grids inside a bbox, after load)")
def get_console_layers(caller: DispatchCallerDep, session: SessionDep, settings: SettingsDep,
                       bbox: BBoxParam = None) -> JSONResponse:
    """The grids of the caller's region inside ``bbox`` as GeoJSON with their tooltips, as
    the console (/map/dispatch) draws them."""
    return JSONResponse(console.console_layers(session, caller, bbox=paging.parse_bbox(bbox),
                                               basemap_url=settings.basemap_url))


def queue_filter(view: str | None = None, grid: str | None = None,
                 community: str | None = None, status: str | None = None,
                 category: str | None = None, channel: str | None = None,
                 since: Annotated[str | None, Query(description="YYYY-MM-DD, Beijing")] = None,
                 until: Annotated[str | None, Query(description="YYYY-MM-DD, Beijing")] = None
                 ) -> QueueFilter:
    """The list page's filter form (empty fields: any)."""
    return QueueFilter.from_form(view=view, grid=grid, community=community, status=status,
                                 category=category, channel=channel, since=since, until=until)


@router.get("/map/dispatch/list", response_class=HTMLResponse,
            summary="事件清单 (open, overdue and 待定位 events)")
def get_dispatch_list(session: SessionDep, caller: DispatchCallerDep, settings: SettingsDep,
                      csrf: PageCsrfDep, wanted: Annotated[QueueFilter, Depends(queue_filter)],
                      page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    """Open, overdue or 待定位 events of the caller's region with filters (view, grid,
    community, status, category, channel, since/until as Beijing dates), overdue first,
    paged; markers coloured by state, clustered, a heat map to switch on."""
    return HTMLResponse(dispatch_list.render_dispatch_list(
        session, caller, wanted, page_no=page, basemap_url=settings.basemap_url, csrf=csrf))


@router.get(dispatch_list.LAYERS_URL, response_class=JSONResponse, response_model=MapLayers,
            summary="事件清单地图图层 (the dots and heat map of /map/dispatch/list)")
def get_dispatch_list_layers(session: SessionDep, caller: DispatchCallerDep,
                             wanted: Annotated[QueueFilter, Depends(queue_filter)]
                             ) -> JSONResponse:
    """Every event matching the list page's filters in the caller's region (up to 5,000,
    overdue first) as marker rows [lat, lon, colour, size, popup, code] and heat points."""
    return JSONResponse(dispatch_list.list_layers(session, caller, wanted))


@router.get(event_layers.HEAT_JS_URL, include_in_schema=False)
def get_heat_js() -> FileResponse:
    """Leaflet.heat as shipped in the folium wheel (pages must work without a CDN)."""
    return FileResponse(event_layers.heat_js_file(), media_type="text/javascript")
