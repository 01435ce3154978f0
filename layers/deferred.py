"""Layers fetched after the page: the HTML holds empty layers, one request brings the data.

A page embeds only its shell, legend and empty ``DeferredLayer`` objects (a few hundred bytes
each, whatever the data volume); a ``DeferredSource`` asks a ``/map/layers/...`` route for
``{"layers": {key: FeatureCollection}, "panels": {element id: HTML}}`` once the map is ready
(``/static/gridmap/deferred.js``), for the map's view when ``viewport``. The route builds the
very folium layers the page used to embed (same builders, popups, labels and counts) and
``collection`` turns each into its GeoJSON with every feature's style computed (``__style``,
``__hl``), so the browser needs no per-layer code. Geometry is lon/lat (EPSG:4490).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import folium
from branca.element import Element, Figure, JavascriptLink, MacroElement
from folium.map import Layer
from jinja2 import Template

from gis.core import crs
from layers import assets, basemaps

DEFERRED_JS = f"{assets.STATIC}/gridmap/deferred.js"


class DeferredLayer(Layer):
    """An empty Leaflet GeoJSON layer (listed in the layer control) that its source fills.

    ``spec`` (JSON for gmLayers.layer): ``popup``/``tooltip``/``label`` name the feature
    property holding that HTML (``label`` permanent, class ``labelClass``), ``marker``
    (``{"kind": "divicon"|"circle", "options": .., "icon": ..}``) draws points, ``options``
    are Leaflet's (className, pane, interactive).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = gmLayers.layer({{ this.spec|tojson }});
        {%- if this.show %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, key: str, *, name: str, spec: dict[str, Any], show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "DeferredLayer"
        self.key, self.spec = key, spec

    def render(self, **kwargs: Any) -> Any:
        _add_script(self)
        return super().render(**kwargs)


class DeferredSource(MacroElement):
    """Fetches ``url`` once the map is ready (for its view when ``viewport``) and fills
    ``layers`` (by key; added to the map before this element: DeferredLayer objects, or any
    layer whose script gives it a ``gmFill(part)``) and the panels the answer names;
    ``fit``: the map moves onto the data once it is in (a page that knew no box)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        gmLayers.source({{ this._parent.get_name() }}, {{ this.url|tojson }}, {
            {%- for key, layer in this.layers.items() %}
            {{ key|tojson }}: {{ layer.get_name() }}{{ "," if not loop.last }}
            {%- endfor %}
        }, {{ this.viewport|tojson }}, {{ this.fit|tojson }});
        {% endmacro %}
    """)

    def __init__(self, url: str, layers: Mapping[str, Element], *, viewport: bool = False,
                 fit: bool = False) -> None:
        super().__init__()
        self._name = "DeferredSource"
        self.url, self.layers, self.viewport, self.fit = url, layers, viewport, fit

    def render(self, **kwargs: Any) -> Any:
        _add_script(self)
        return super().render(**kwargs)


def _add_script(element: Element) -> None:
    figure = cast(Figure, element.get_root())
    figure.header.add_child(JavascriptLink(DEFERRED_JS), name="gm_deferred_js")


def add_deferred(fmap: folium.Map, url: str, layers: list[DeferredLayer], *,
                 viewport: bool = False, fit: bool = False) -> DeferredSource:
    """Add ``layers`` (bottom to top) and the source that fills them from ``url``."""
    for layer in layers:
        layer.add_to(fmap)
    source = DeferredSource(url, {layer.key: layer for layer in layers}, viewport=viewport,
                            fit=fit)
    fmap.add_child(source)
    return source


def collection(layer: folium.GeoJson) -> dict[str, Any]:
    """The FeatureCollection of a folium GeoJson layer built for embedding, each feature's
    ``style_function``/``highlight_function`` result stored in ``__style``/``__hl``."""
    data = cast(dict[str, Any], layer.data)
    style = getattr(layer, "style_function", None) if layer.style else None
    highlight = getattr(layer, "highlight_function", None) if layer.highlight else None
    for feature in data["features"]:
        props = feature.setdefault("properties", {})
        if style is not None:
            props["__style"] = style(feature)
        if highlight is not None:
            props["__hl"] = highlight(feature)
    return data


def empty() -> dict[str, Any]:
    """A FeatureCollection with nothing in it (a layer with no data in view)."""
    return {"type": "FeatureCollection", "features": []}


def answer(layers: dict[str, folium.GeoJson | None], panels: dict[str, str] | None = None,
           *, basemap_url: str | None = None) -> dict[str, Any]:
    """The body of a ``/map/layers/...`` route: each layer's collection (None: empty), shifted
    to GCJ-02 when the pages' basemap (``Settings.basemap_url``) is in GCJ-02, as the page
    would have shifted it embedded (layers.basemaps.shift_page)."""
    basemap = basemaps.from_spec(basemap_url)
    shift = basemap is not None and basemap.crs == crs.GCJ02
    out = {key: collection(layer) if layer is not None else empty()
           for key, layer in layers.items()}
    if shift:
        out = {key: basemaps.shift_geojson(data) for key, data in out.items()}
    return {"layers": out, "panels": dict(panels or {})}


POPUP: dict[str, Any] = {"popup": "popup", "popupMaxWidth": 360}
"""The spec part of a layer whose features carry their popup HTML in ``popup``."""
