"""Admin boundary layers: community (社区) outlines over the grids."""

from __future__ import annotations

import folium
import geopandas as gpd

from layers import catalogue, page


def community_layer(communities: gpd.GeoDataFrame) -> folium.GeoJson:
    """Community outlines (EPSG:4490, columns of gis.places.regions.list_regions), dashed, no fill.

    Not interactive, so clicks reach the grids beneath.
    """
    layer = catalogue.get_layer("communities")
    data = communities.assign(label=page.escaped(communities["name"]))
    return folium.GeoJson(page.feature_collection(data, ["label"]), name=layer.label,
                          style_function=lambda _: dict(layer.style), interactive=False)
