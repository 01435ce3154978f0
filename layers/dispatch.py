"""The dispatcher's pages: one incident on a map, and the open/overdue list per grid.

``/map/dispatch?event=CODE`` shows the incident, its grid highlighted, the grid worker's
contact card, facilities nearby, other open events within 300 m and the event's timeline.
The case panel (actions, timeline) is layers/case.py; the list page layers/dispatch_list.py.
Data comes from gis/ (EPSG:4490, drawn as lon/lat); labels are Chinese. Reporters and personal
numbers in descriptions and notes are masked unless the page was asked to reveal them
(``reveal``, decided and audited through gis/; nearby events stay masked).
"""

from __future__ import annotations

import html
from typing import Any, cast
from urllib.parse import urlencode

import folium
import geopandas as gpd
import pandas as pd
from branca.element import CssLink, Figure, JavascriptLink
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.events import queries
from gis.grids import registry, workers
from gis.places import facilities
from layers import case, catalogue, deferred, page, shell
from layers import events as event_layers
from layers import facilities as facility_layers

NEARBY_M = 300.0
FACILITY_BOX_DEG = 0.006  # ~550–670 m around the incident
LAYERS_URL = "/map/layers/case"


def _card(grid: pd.Series | None, duties: str | None) -> str:
    """The grid worker's public contact card (上岗公示 fields only)."""
    if grid is None:
        return "<h3>网格员联系卡</h3><p>事件尚未定位，未分派网格。</p>"
    rows = [("网格", f"{grid['code']} {grid['name']}"), ("社区", grid.get("community_name")),
            ("网格员", grid.get("worker_name")), ("联系电话", grid.get("worker_phone")),
            ("监督电话", grid.get("supervision_phone")), ("职责", duties)]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{_cell(k, v)}</td></tr>" for k, v in rows)
    return f'<h3>网格员联系卡</h3><table class="gm-card">{body}</table>'


def _cell(label: str, value: object) -> str:
    """A card value; a public phone number is a link a phone dials with one tap."""
    if not value:
        return "—"
    text = html.escape(str(value))
    return f'<a href="tel:{text.replace(" ", "")}">{text}</a>' if label.endswith("电话") else text


def _reveal_link(code: str, caller: Caller, reveal: bool) -> str:
    """A link that reveals this event's personal data, for roles that may see it."""
    if reveal or not caller.sees_personal_data:
        return ""
    return (f'<p><a href="/map/dispatch?event={html.escape(code)}&amp;reveal=true">'
            "显示完整联系信息（将记录查看留痕）</a></p>")


def render_dispatch(session: Session, caller: Caller, code: str, *, reveal: bool = False,
                    basemap_url: str | None = None, csrf: str | None = None) -> str:
    """The dispatcher's map page for event ``code`` (HTML, offline-ready) with its case panel
    (actions, timeline); the event's personal data unmasked only with ``reveal`` (may_reveal
    decided it; gis/ audits it); ``csrf`` lets the panel's buttons write. Facilities and open
    events nearby come after load from ``/map/layers/case`` (``case_layers``)."""
    # masked here: the case panel reveals (and audits) the event's personal data once
    event_frame = queries.get_event(session, code, scope=caller.scope, actor=caller.name)
    event = event_frame.iloc[0]
    located = event_frame.geometry.iloc[0] is not None
    grid_frame = registry.get_grid(session, event["grid_code"]) if event["grid_code"] else None
    bounds = page.frame_bounds(*(f for f in (grid_frame, event_frame) if f is not None))
    fmap = page.base_map(bounds, title=f"事件调度 · {code}", basemap_url=basemap_url)
    if grid_frame is not None:
        labelled = grid_frame.assign(label=page.escaped(grid_frame["code"]) + " "
                                     + page.escaped(grid_frame["name"]))
        folium.GeoJson(page.feature_collection(labelled, ["label"]), name="所属网格",
                       style_function=lambda _: {"color": "#ff6f00", "weight": 4,
                                                 "fillColor": "#ffe0b2", "fillOpacity": 0.35},
                       tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)
                       ).add_to(fmap)
    if located:
        _add_surroundings(fmap, event_frame, code)
    grid = grid_frame.iloc[0] if grid_frame is not None else None
    fmap.add_child(page.Panel(_card(grid, _duties(session, grid)), position="topleft",
                              css_class="gm-panel gm-card-panel"))
    fmap.add_child(page.Panel(case.case_panel(session, caller, code, reveal=reveal)
                              + _reveal_link(code, caller, reveal),
                              position="bottomleft", css_class="gm-panel gm-timeline"))
    shell.add_shell(fmap, caller, active="/map/dispatch", csrf=csrf)
    figure = cast(Figure, fmap.get_root())
    figure.header.add_child(CssLink(case.CASE_CSS), name="gm_case_css")
    figure.header.add_child(JavascriptLink(case.CASE_JS), name="gm_case_js")
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    legend = [catalogue.Layer("incident", "事件", "", "point", (), 0, 20,
                              legend=event_layers.LEGEND),
              catalogue.get_layer("facilities")]
    page.add_legend(fmap, legend)
    return page.render(fmap)


def case_layers(session: Session, caller: Caller, code: str, *,
                basemap_url: str | None = None) -> dict[str, Any]:
    """The case page's layers after load (``deferred.answer``, lon/lat): facilities within
    ``FACILITY_BOX_DEG`` of event ``code`` and open events within ``NEARBY_M`` (masked, in
    the caller's region) and the event's own marker; empty for an event not yet located."""
    event_frame = queries.get_event(session, code, scope=caller.scope, actor=caller.name)
    point = event_frame.geometry.iloc[0]
    if point is None:
        return deferred.answer({"facilities": None, "nearby": None, "event": None})
    box = (point.x - FACILITY_BOX_DEG, point.y - FACILITY_BOX_DEG,
           point.x + FACILITY_BOX_DEG, point.y + FACILITY_BOX_DEG)
    facility_frame = facilities.list_facilities(session, bbox=box)
    nearby = queries.list_nearby_events(session, code, radius_m=NEARBY_M, scope=caller.scope)
    labelled = nearby.assign(distance_m=nearby["distance_m"].round(0))
    return deferred.answer({
        "facilities": facility_layers.facility_layer(facility_frame)
        if not facility_frame.empty else None,
        "nearby": event_layers.event_layer(labelled) if not nearby.empty else None,
        "event": event_layers.event_layer(event_frame, name="本事件")},
        basemap_url=basemap_url)


def _duties(session: Session, grid: pd.Series | None) -> str | None:
    if grid is None:
        return None
    staff = workers.list_workers(session, grid_code=grid["code"])
    primary = staff[staff["is_primary"]] if "is_primary" in staff else staff
    return None if primary.empty else primary["duties"].iloc[0]


def _add_surroundings(fmap: folium.Map, event_frame: gpd.GeoDataFrame, code: str) -> None:
    """Empty facility, nearby-event and event layers filled from ``/map/layers/case`` after
    load, and the dashed ``NEARBY_M`` ring around the event (drawn at once)."""
    point = event_frame.geometry.iloc[0]
    deferred.add_deferred(fmap, f"{LAYERS_URL}?{urlencode({'event': code})}", [
        deferred.DeferredLayer("facilities", name=catalogue.get_layer("facilities").label,
                               spec=facility_layers.DEFERRED_SPEC),
        deferred.DeferredLayer("nearby", name=f"{NEARBY_M:.0f} 米内未结事件",
                               spec=event_layers.DEFERRED_SPEC),
        deferred.DeferredLayer("event", name="本事件", spec=event_layers.DEFERRED_SPEC)])
    folium.Circle([point.y, point.x], radius=NEARBY_M, color="#d32f2f", weight=1,
                  fill=False, dash_array="4 4", interactive=False).add_to(fmap)
