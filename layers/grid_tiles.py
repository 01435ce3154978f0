"""Grids drawn from gridmap's vector tiles ``/tiles/grids/{z}/{x}/{y}.pbf`` (a city's
thousands of grids, whose GeoJSON would take seconds): filled by the same household classes
as the GeoJSON layer and the legend (the tiles carry households, kind and theme), with a
popup built from the tile's properties as for building tiles.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from branca.element import MacroElement
from folium.template import Template

from gis.grids.household_rules import LoadRules
from gis.tiles import mvt
from layers import catalogue
from layers.buildings import BuildingTiles

TILE_URL = "/tiles/grids/{z}/{x}/{y}.pbf"
"""Same-origin, public tile URL (the theme goes in the query)."""
PANE = "gm-grids"


class _ClassFill(MacroElement):
    """Gives its parent tile layer the grids' style function: the household class of
    ``catalogue.grid_class`` (unified grids of checked kinds; others NOT_JUDGED) as fill colour;
    grids of another community than ``spec["community"]`` (when set) are not drawn."""

    _template = Template("""
        {% macro script(this, kwargs) -%}
        (function (layer, s) {
            layer.options.vectorTileLayerStyles.grids = function (p) {
                if (s.community && p.community_code !== s.community) { return []; }
                var n = Number(p.households) || 0, b = s.breaks, k = s.colours.length - 1;
                if (p.theme === 'unified' && s.exempt.indexOf(p.kind) < 0) {
                    k = n <= b[0] - 1 ? 0 : n <= b[1] - 1 ? 1 : n <= b[2] ? 2 : 3;
                }
                return Object.assign({}, s.style, {fillColor: s.colours[k]});
            };
        })({{ this._parent.get_name() }}, {{ this.spec|tojson }});
        {%- endmacro %}
    """)

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__()
        self._name = "GridClassFill"
        self.spec = spec


def grid_tile_layer(*, theme: str = "unified", community_code: str | None = None,
                    ) -> BuildingTiles:
    """Grids of ``theme`` from ``/tiles/grids`` (EPSG:3857 tiles of EPSG:4490 storage) in a
    pane of their own under the building tiles, from the catalogue's grid min zoom; the popup
    shows the catalogue's grid attributes the tiles carry (name, code, households,
    residents)."""
    layer = catalogue.get_layer("grids")
    style = {**layer.style, "fill": True, "className": "gm-grid"}
    options = {"vectorTileLayerStyles": {"grids": style}, "interactive": True, "pane": PANE,
               "minZoom": max(layer.min_zoom, mvt.TILE_LAYERS["grids"].min_zoom),
               "fetchOptions": {"credentials": "same-origin"}}
    carried = {field for field, _ in mvt.TILE_LAYERS["grids"].fields}
    fields = [(attr.field, attr.label, attr.unit) for attr in layer.attributes
              if attr.field in carried]
    tiles = BuildingTiles(f"{TILE_URL}?{urlencode({'theme': theme})}", name=layer.label,
                          options=options, fields=fields, title_field="name")
    tiles.add_child(_ClassFill({
        "style": style, "colours": [entry.color for entry in layer.legend],
        "breaks": list(catalogue.HOUSEHOLD_BREAKS), "exempt": list(LoadRules().exempt_kinds),
        "community": community_code}))
    return tiles
