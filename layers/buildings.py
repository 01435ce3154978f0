"""Building layer: grey footprints; attributes (households, residents) only for key holders."""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from gis.callers import Caller, region_prefix
from layers import catalogue, page

HIDDEN = '<div class="gm-popup">建筑（户数、人口等详情需授权查看）</div>'


def covered(frame: pd.DataFrame, caller: Caller) -> pd.Series:
    """Rows whose ``community_code`` lies in the caller's jurisdiction (anonymous: none)."""
    if caller.is_anonymous:
        return pd.Series(False, index=frame.index)
    if caller.role == "admin" or caller.region_code is None:
        return pd.Series(True, index=frame.index)
    # codes nest by prefix (gis.callers.Caller.covers), vectorised here
    return frame["community_code"].fillna("").str.startswith(region_prefix(caller.region_code))


def building_layer(buildings: gpd.GeoDataFrame, caller: Caller) -> folium.GeoJson:
    """Buildings (EPSG:4490, columns of gis.buildings.list_buildings).

    Footprints are public (any map shows them); address, households and residents are
    shown only to key holders inside their jurisdiction, as for the buildings API.
    """
    layer = catalogue.get_layer("buildings")
    shown = covered(buildings, caller)
    popup = page.popup_html(buildings, layer.attributes, title_field="address")
    data = buildings.assign(popup=popup.where(shown, HIDDEN))
    return folium.GeoJson(page.feature_collection(data, ["popup"]), name=layer.label,
                          style_function=lambda _: dict(layer.style), popup=page.popup(),
                          className="gm-building")
