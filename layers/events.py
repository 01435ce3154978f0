"""Event layers: markers coloured by state (overdue in red) and a heatmap of event density.

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
from folium.plugins import HeatMap

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
              catalogue.Attribute("description", "描述"),
              catalogue.Attribute("reported_at", "上报时间"),
              catalogue.Attribute("due_at", "处置时限"),
              catalogue.Attribute("distance_m", "距离", "米"))
LEGEND = (catalogue.LegendEntry("事件（按状态着色）", STATE_COLOURS["in_progress"], "icon",
                                "事"),
          catalogue.LegendEntry("超期事件", OVERDUE_COLOUR, "icon", "超"))


def heat_js_file() -> Path:
    """The Leaflet.heat script inside the installed folium package."""
    return Path(str(resources.files("folium").joinpath("templates", "leaflet_heat.min.js")))


def event_layer(events: gpd.GeoDataFrame, *, name: str = "事件（工单）") -> folium.GeoJson:
    """Located events (EPSG:4490) as circle markers; overdue ones red and larger."""
    located = events[events.geometry.notna() & ~events.geometry.is_empty]
    overdue = located.get("overdue", pd.Series(False, index=located.index)).fillna(False)
    data = located.assign(
        colour=np.where(overdue.astype(bool), OVERDUE_COLOUR,
                        located["status"].map(STATE_COLOURS).fillna("#1976d2")),
        radius=np.where(overdue.astype(bool), 9, 6),
        popup=page.popup_html(located, ATTRIBUTES, title_field="code"))

    def style(feature: dict) -> dict:
        props = feature["properties"]
        return {"color": "#ffffff", "weight": 1, "fillColor": props["colour"],
                "fillOpacity": 0.9, "radius": props["radius"]}

    return folium.GeoJson(page.feature_collection(data, ["code", "colour", "radius", "popup"]),
                          name=name, marker=folium.CircleMarker(), style_function=style,
                          popup=page.popup())


def event_heat_layer(events: gpd.GeoDataFrame, *, name: str = "事件热力图",
                     radius: int = 18) -> HeatMap:
    """A heatmap of located events (EPSG:4490 points, drawn as lat/lon), served offline."""
    points = events.geometry[events.geometry.notna() & ~events.geometry.is_empty]
    data = np.column_stack([points.y.to_numpy(), points.x.to_numpy()]).round(6).tolist()
    heat = HeatMap(data, name=name, radius=radius, blur=15, min_opacity=0.3)
    # an instance attribute: the class-level list is shared by every map in the process
    heat.default_js = [("leaflet-heat.js", HEAT_JS_URL)]
    return heat
