"""Event layers: filled markers coloured by state (overdue in red, larger), clustered when
many, and a heatmap of event density. Times in popups are Beijing time.

The heatmap uses folium's HeatMap plugin; its script (Leaflet.heat) ships inside the folium
wheel, so gridmap serves that copy (``HEAT_JS_URL``, mounted by api/routes/dispatch.py) and
pages need no CDN.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import FastMarkerCluster, HeatMap, MarkerCluster
from folium.template import Template

from gis.core import clock
from gis.events import workflow
from layers import catalogue, page

HEAT_JS_URL = "/static/vendor/leaflet-heat/leaflet_heat.min.js"
STATE_COLOURS = {
    "needs_location": "#9e9e9e", "reported": "#1976d2", "accepted": "#0288d1",
    "dispatched": "#7b1fa2", "in_progress": "#f57c00", "resolved": "#388e3c",
    "verified": "#2e7d32", "closed": "#757575", "returned": "#5d4037", "reopened": "#c2185b",
}
OVERDUE_COLOUR = "#d32f2f"
ATTRIBUTES = (catalogue.Attribute("code", "事件编号"),
              catalogue.Attribute("category_label", "类别"),
              catalogue.Attribute("status_label", "状态"),
              catalogue.Attribute("channel_label", "渠道"),
              catalogue.Attribute("description", "描述"),
              catalogue.Attribute("reported_at", "上报时间"),
              catalogue.Attribute("due_at", "处置时限"),
              catalogue.Attribute("distance_m", "距离", "米"))
LEGEND = (catalogue.LegendEntry("事件（按状态着色）", STATE_COLOURS["in_progress"], "icon",
                                "事"),
          catalogue.LegendEntry("超期事件", OVERDUE_COLOUR, "icon", "超"))
STATE_LEGEND = (*(catalogue.LegendEntry(workflow.STATE_LABELS[state], colour, "icon", "●")
                  for state, colour in STATE_COLOURS.items()),
                catalogue.LegendEntry("超期（红色、较大）", OVERDUE_COLOUR, "icon", "超"))
"""Every state's colour, for pages that show events of many states."""
CLUSTER_MARKER_JS = """function (row) {
    var size = row[3], html = '<span class="gm-event-dot" style="background:' + row[2] +
        ';width:' + size + 'px;height:' + size + 'px"></span>';
    var icon = L.divIcon({html: html, className: 'gm-event-icon', iconSize: [size, size],
                          iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2]});
    return L.marker(new L.LatLng(row[0], row[1]), {icon: icon, title: row[5]})
        .bindPopup(row[4], {maxWidth: 360});
}"""
"""A filled round marker the size of its dot (the whole dot opens the popup)."""
CLUSTER_OPTIONS = {"disableClusteringAtZoom": 18, "maxClusterRadius": 40}
DEFERRED_SPEC = {"popup": "popup", "popupMaxWidth": 360,
                 "marker": {"kind": "circle", "options": {}}}
"""``event_layer`` drawn after load (layers.deferred): circle markers styled per event."""


def heat_js_file() -> Path:
    """The Leaflet.heat script inside the installed folium package."""
    return Path(str(resources.files("folium").joinpath("templates", "leaflet_heat.min.js")))


def _styled(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Located events with ``colour`` (overdue red), ``radius`` and an escaped ``popup``
    (times in Beijing time, a link to the case page)."""
    located = events[events.geometry.notna() & ~events.geometry.is_empty]
    overdue = located.get("overdue", pd.Series(False, index=located.index)).fillna(False)
    shown = located.assign(**{col: clock.local_text_series(located[col])
                              for col in ("reported_at", "due_at") if col in located})
    link = ('<p><a href="/map/dispatch?event=' + page.escaped(located["code"])
            + '">办理此事件 →</a></p>')
    return located.assign(
        colour=np.where(overdue.astype(bool), OVERDUE_COLOUR,
                        located["status"].map(STATE_COLOURS).fillna("#1976d2")),
        radius=np.where(overdue.astype(bool), 10, 7),
        popup=page.popup_html(shown, ATTRIBUTES, title_field="code") + link)


def event_rows(events: gpd.GeoDataFrame) -> list[list]:
    """Located events (EPSG:4490) as the rows ``CLUSTER_MARKER_JS`` draws: lat, lon, colour,
    size, popup HTML, code."""
    data = _styled(events)
    rows = pd.DataFrame({"lat": data.geometry.y.round(6), "lon": data.geometry.x.round(6),
                         "colour": data["colour"], "size": data["radius"] * 2,
                         "popup": data["popup"].astype(str), "code": data["code"].astype(str)})
    return rows.to_numpy().tolist()


def heat_points(events: gpd.GeoDataFrame) -> list[list[float]]:
    """Located events (EPSG:4490) as the heat map's [lat, lon] points."""
    points = events.geometry[events.geometry.notna() & ~events.geometry.is_empty]
    return np.column_stack([points.y.to_numpy(), points.x.to_numpy()]).round(6).tolist()


def event_cluster_layer(events: gpd.GeoDataFrame, *, name: str = "事件（工单）"
                        ) -> FastMarkerCluster:
    """Located events (EPSG:4490, drawn as lat/lon) as filled dots coloured by state,
    clustered where many lie close; the Leaflet.markercluster files come from gridmap."""
    return FastMarkerCluster(event_rows(events), callback=CLUSTER_MARKER_JS, name=name,
                             **CLUSTER_OPTIONS)


class DeferredCluster(MarkerCluster):
    """``event_cluster_layer`` without its rows: a layers.deferred source fills it after
    load (``gmFill`` with ``event_rows``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.markerClusterGroup({{ this.options|tojavascript }});
        {{ this.get_name() }}.gmFill = function (rows) {
            var callback = {{ this.callback }};
            this.clearLayers();
            this.addLayers((rows || []).map(callback));
        };
        {%- if this.show %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, *, name: str = "事件（工单）") -> None:
        super().__init__(name=name, **CLUSTER_OPTIONS)
        self._name = "DeferredCluster"
        self.callback = CLUSTER_MARKER_JS


class DeferredHeat(HeatMap):
    """``event_heat_layer`` without its points: filled after load (``heat_points``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.heatLayer([], {{ this.options|tojavascript }});
        {{ this.get_name() }}.gmFill = function (points) { this.setLatLngs(points || []); };
        {% endmacro %}
    """)


def event_layer(events: gpd.GeoDataFrame, *, name: str = "事件（工单）") -> folium.GeoJson:
    """Located events (EPSG:4490) as filled circle markers; overdue ones red and larger."""
    data = _styled(events)

    def style(feature: dict) -> dict:
        props = feature["properties"]
        return {"color": "#ffffff", "weight": 2, "fill": True, "fillColor": props["colour"],
                "fillOpacity": 0.95, "radius": props["radius"]}

    return folium.GeoJson(page.feature_collection(data, ["code", "colour", "radius", "popup"]),
                          name=name, marker=folium.CircleMarker(), style_function=style,
                          popup=page.popup())


def event_heat_layer(events: gpd.GeoDataFrame | None, *, name: str = "事件热力图",
                     radius: int = 18, show: bool = True) -> HeatMap:
    """A heatmap of located events (EPSG:4490 points, drawn as lat/lon), served offline;
    ``show=False`` leaves it off until ticked in the layer control. ``events`` None: an empty
    one that a layers.deferred source fills after load (``heat_points``)."""
    kind = HeatMap if events is not None else DeferredHeat
    data = heat_points(events) if events is not None else []
    heat = kind(data, name=name, radius=radius, blur=15, min_opacity=0.3, show=show)
    # an instance attribute: the class-level list is shared by every map in the process
    heat.default_js = [("leaflet-heat.js", HEAT_JS_URL)]
    return heat
