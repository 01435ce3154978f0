"""Grid layers: a choropleth by households (户) with popups, and code/name labels."""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.utilities import JsCode

from layers import catalogue, page

THEME_LABELS = {"unified": "全科网格", "party": "党建网格", "security": "综治网格",
                "civil": "民政网格", "urban": "城管网格"}


def grid_layer(grids: gpd.GeoDataFrame) -> folium.GeoJson:
    """Grids (EPSG:4490, columns of gis.grids.registry.list_grids) coloured by household class;
    exempt kinds and thematic grids grey (catalogue.NOT_JUDGED), not judged by the 户 range."""
    layer = catalogue.get_layer("grids")
    data = grids.assign(
        hh_class=catalogue.grid_class(grids["households"], grids["kind"], grids["theme"]),
        popup=page.popup_html(grids, layer.attributes, title_field="name"),
        label=page.escaped(grids["code"]) + " " + page.escaped(grids["name"]))
    colours = [entry.color for entry in layer.legend]

    def style(feature: dict) -> dict:
        return {**layer.style, "fillColor": colours[feature["properties"]["hh_class"]]}

    return folium.GeoJson(
        page.feature_collection(data, ["code", "households", "hh_class", "label", "popup"]),
        name=layer.label, style_function=style,
        highlight_function=lambda _: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        popup=page.popup(), className="gm-grid")


def grid_label_layer(grids: gpd.GeoDataFrame) -> folium.GeoJson:
    """Permanent labels (code above name) at a point inside each grid (EPSG:4490).

    Labels show from the layer's min zoom, codes from GRID_CODE_MIN_ZOOM (page.ZoomGate):
    a district's 200 grids would otherwise bury the map in text.
    """
    layer = catalogue.get_layer("grid_labels")
    points = gpd.GeoDataFrame(
        {"label": '<span class="gm-code">' + page.escaped(grids["code"]) + "</span>"
                  + page.escaped(grids["name"])},
        geometry=grids.geometry.representative_point(), crs=grids.crs)
    # one tooltip per feature: a tooltip bound to the whole group would open only once
    bind = JsCode("function (feature, layer) { layer.bindTooltip(feature.properties.label, "
                  "{permanent: true, direction: 'center', className: 'gm-grid-label'}); }")
    return folium.GeoJson(page.feature_collection(points, ["label"]), name=layer.label,
                          marker=folium.CircleMarker(radius=0, weight=0, fill=False,
                                                     interactive=False),
                          on_each_feature=bind)
