"""Answers of the map pages' data routes (``/map/layers/...``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class MapLayers(BaseModel):
    """A page's layers after load: GeoJSON FeatureCollections (lon/lat) keyed by layer, each
    feature with its popup/label HTML and computed style (``__style``, ``__hl``), and the HTML
    of the page's panels keyed by element id (legend figures computed with the layers)."""

    layers: dict[str, Any] = Field(
        description="layer key -> RFC 7946 FeatureCollection (lon/lat, EPSG:4490), or rows "
                    "of [lat, lon, ...] for marker clusters and heat maps")
    panels: dict[str, str] = Field(description="element id -> HTML (escaped, Chinese labels)")
    left_out: list[str] = Field(
        default_factory=list,
        description="layer keys left out because the view holds too many features (a city's "
                    "grid labels); a smaller view (zoomed in) gets them")
