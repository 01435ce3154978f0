"""Building layer: grey footprints; attributes (households, residents) only for key holders.

Two ways to draw it: embedded GeoJSON (``building_layer``, small districts) or gridmap's own
vector tiles ``/tiles/buildings/{z}/{x}/{y}.pbf`` (``building_tile_layer``, big districts,
whose GeoJSON would make the page tens of megabytes).
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import VectorGridProtobuf
from folium.template import Template

from gis.access import jurisdiction
from gis.access.callers import Caller
from gis.core.settings import Settings
from gis.tiles import mvt
from layers import catalogue, page

EMBED_MAX = Settings.model_fields["map_embed_max"].default
"""Most buildings a page embeds as GeoJSON (setting ``GRIDMAP_MAP_EMBED_MAX``); more are drawn
from the building vector tiles (/map, /map/coverage)."""
HIDDEN = '<div class="gm-popup">建筑（户数、人口等详情需授权查看）</div>'


def covered(frame: pd.DataFrame, caller: Caller) -> pd.Series:
    """Rows whose ``community_code`` lies in the caller's jurisdiction (anonymous: none)."""
    if caller.is_anonymous:
        return pd.Series(False, index=frame.index)
    return jurisdiction.inside_series(frame["community_code"], caller.scope)


def building_layer(buildings: gpd.GeoDataFrame, caller: Caller) -> folium.GeoJson:
    """Buildings (EPSG:4490, columns of gis.places.buildings.list_buildings).

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


TILE_URL = "/tiles/buildings/{z}/{x}/{y}.pbf"
"""Same-origin tile URL: the browser sends the page's login cookie with every tile."""


class BuildingTiles(VectorGridProtobuf):
    """Leaflet.VectorGrid over gridmap's building tiles, SVG-drawn, with the GeoJSON layer's
    popup (same labels and HTML) built in the browser from each feature's tile properties.

    SVG, not VectorGrid's canvas renderer: its click handler calls ``L.DomEvent.fakeStop``,
    which Leaflet 1.9 no longer has (Leaflet/Leaflet.VectorGrid#274).
    """

    _template = Template("""
        {% macro script(this, kwargs) -%}
        var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url|tojson }},
            Object.assign({{ this.options|tojson }}, {rendererFactory: L.svg.tile}));
        (function (map, layer, fields, title, hidden) {
            var name = layer.options.pane;
            if (map.options.minZoom === undefined) {
                // unset, Leaflet takes the zoom range of the layers, and this layer's minZoom
                // would stop the whole map from zooming out past it; 0 is what it was before
                map.options.minZoom = 0;
            }
            if (!map.getPane(name)) {
                // above the grid choropleth (overlayPane, 400) so buildings take the clicks,
                // under the icons (markerPane, 600); only the paths catch the pointer
                var pane = map.createPane(name);
                pane.style.zIndex = 450;
                pane.style.pointerEvents = 'none';
            }
            function esc(v) {
                return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;')
                    .replace(/>/g, '&gt;').replace(/"/g, '&quot;');
            }
            layer.on('click', function (e) {
                if (hidden) {  // anonymous footprints: no attributes in the tile to show
                    L.popup().setLatLng(e.latlng).setContent(hidden).openOn(map);
                    return;
                }
                var p = e.layer.properties || {}, rows = '';
                fields.forEach(function (f) {
                    var v = p[f[0]], blank = v === undefined || v === null;  // MVT leaves NULLs out
                    rows += '<tr><th>' + esc(f[1]) + '</th><td>'
                        + (blank ? '—' : esc(v) + (f[2] ? ' ' + esc(f[2]) : '')) + '</td></tr>';
                });
                var head = title ? '<h4>' + esc(p[title] == null ? '' : p[title]) + '</h4>' : '';
                L.popup({maxWidth: 360}).setLatLng(e.latlng)
                    .setContent('<div class="gm-popup">' + head + '<table>' + rows
                                + '</table></div>')
                    .openOn(map);
            });
        })({{ this._parent.get_name() }}, {{ this.get_name() }}, {{ this.fields|tojson }},
           {{ this.title_field|tojson }}, {{ this.hidden|tojson }});
        {%- endmacro %}
    """)

    def __init__(self, url: str, *, name: str, options: dict,
                 fields: list[tuple[str, str, str]], title_field: str | None,
                 hidden: str | None = None) -> None:
        super().__init__(url, name=name, options=options)
        self.fields, self.title_field, self.hidden = fields, title_field, hidden


def building_tile_layer(*, details: bool = True, style: dict | None = None,
                        name: str | None = None) -> BuildingTiles:
    """Buildings from ``/tiles/buildings`` (EPSG:3857 tiles of EPSG:4490 storage).

    The tile service answers key holders with the buildings of their own jurisdiction
    (address, households and residents included) and anonymous callers with bare footprints;
    ``details=False`` (anonymous pages) gives every footprint the embedded layer's
    "needs a key" popup instead of a table of attributes the tiles do not carry.
    Tiles load from the catalogue's min zoom (never below the tile layer's own).
    ``style`` (Leaflet path options) and ``name`` replace the catalogue's for other pages.
    """
    layer = catalogue.get_layer("buildings")
    style = {**(style or layer.style), "fill": True, "className": "gm-building"}
    options = {"vectorTileLayerStyles": {"buildings": style}, "interactive": True,
               "pane": "gm-buildings",
               "minZoom": max(layer.min_zoom, mvt.TILE_LAYERS["buildings"].min_zoom),
               "fetchOptions": {"credentials": "same-origin"}}
    fields = [(attr.field, attr.label, attr.unit) for attr in layer.attributes]
    return BuildingTiles(TILE_URL, name=name or layer.label, options=options, fields=fields,
                         title_field="address", hidden=None if details else HIDDEN)
