"""Facility layer: one CSS badge per facility type (党, 医, 老, …) with a Chinese popup."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from layers import catalogue, page

LEVEL_LABELS = {"district": "区级", "subdistrict": "街道级", "community": "社区级",
                "compound": "小区级"}
ICON_SIZE = 24


def facility_layer(facilities: gpd.GeoDataFrame) -> folium.GeoJson:
    """Facilities (EPSG:4490, columns of gis.places.facilities.list_facilities) as typed icons.

    Polygon facilities are drawn at a point inside them (an icon reads better than a shape).
    """
    layer = catalogue.get_layer("facilities")
    types = facilities["type"].where(facilities["type"].isin(catalogue.FACILITY_TYPES), "other")
    named = facilities.assign(type=types,
                              type_label=types.map(lambda t: catalogue.FACILITY_TYPES[t][0]),
                              level_label=facilities["level"].map(LEVEL_LABELS))
    points = gpd.GeoDataFrame(
        pd.DataFrame({"type": types,
                      "popup": page.popup_html(named, layer.attributes, title_field="name")}),
        geometry=facilities.geometry.representative_point(), crs=facilities.crs)
    icons = {key: {"html": page.icon_html(symbol, colour)}
             for key, (_, symbol, colour) in catalogue.FACILITY_TYPES.items()}

    def style(feature: dict) -> dict:
        # merged into the DivIcon's options by folium's pointToLayer: one badge per type
        return icons[feature["properties"]["type"]]

    half = ICON_SIZE // 2
    icon = folium.DivIcon(icon_size=(ICON_SIZE, ICON_SIZE), icon_anchor=(half, half),
                          class_name="gm-divicon")
    return folium.GeoJson(page.feature_collection(points, ["type", "popup"]), name=layer.label,
                          marker=folium.Marker(icon=icon), style_function=style,
                          popup=page.popup())


DEFERRED_SPEC = {"popup": "popup", "popupMaxWidth": 360, "marker": {
    "kind": "divicon", "options": {},
    "icon": {"iconSize": [ICON_SIZE, ICON_SIZE], "iconAnchor": [ICON_SIZE // 2, ICON_SIZE // 2],
             "className": "gm-divicon"}}}
"""``facility_layer`` drawn after load (layers.deferred): the same badge icons and popups."""
