"""Water layer: rivers and lakes under the grids' outlines, for orientation."""

from __future__ import annotations

import folium
import geopandas as gpd

from layers import catalogue, page


def water_layer(water: gpd.GeoDataFrame) -> folium.GeoJson:
    """Water areas (EPSG:4490, columns of gis.places.water.list_water_areas); clicks pass
    through."""
    layer = catalogue.get_layer("water")
    data = water.assign(label=page.escaped(water["name"]))
    return folium.GeoJson(page.feature_collection(data, ["label"]), name=layer.label,
                          style_function=lambda _: dict(layer.style), interactive=False)
