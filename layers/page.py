"""Shared page helpers: an offline-ready base map, legends, popups, and the one HTML renderer.

Every gridmap map page (overview, service circles, dispatcher, plan review) starts from
``base_map`` and ends with ``render``; ``render`` rewrites all script and style links to
gridmap's own ``/static`` URLs, so a page works on an intranet with no internet at all.
Geometry handed to these helpers is EPSG:4490 (drawn as lon/lat; CGCS2000 equals WGS84
within centimetres, far below screen resolution).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import CssLink, Figure, MacroElement
from jinja2 import Template

from gis.core import frames
from layers import assets, basemaps, elements
from layers.catalogue import Attribute, Layer, LegendEntry

Bounds = tuple[float, float, float, float]
"""(min lon, min lat, max lon, max lat) in EPSG:4490."""


def base_map(bounds: Bounds | None, *, title: str, basemap_url: str | None = None,
             basemap_attribution: str = "内网底图") -> folium.Map:
    """A folium map with no external basemap (neutral background) unless ``basemap_url``.

    ``basemap_url`` is a basemap spec (layers.basemaps: ``Settings.basemap_url`` as is): an
    XYZ template such as an intranet tile server's ``http://tiles.intra/{z}/{x}/{y}.png``, or
    a preset (天地图, 高德, OSM). gridmap's own layers show either way; with a GCJ-02 basemap
    (高德) ``render`` shifts them to GCJ-02 so they sit on the image.
    """
    figure = Figure(title=html.escape(title))
    fmap = folium.Map(location=_centre(bounds), zoom_start=13, tiles=None, control_scale=False,
                      max_zoom=20, min_zoom=3)
    figure.add_child(fmap)
    fmap.add_child(ScaleBar())
    # leaflet.css first, under folium's own name, so gridmap.css comes after it and wins
    figure.header.add_child(CssLink(assets.OFFLINE_LINKS["leaflet_css"]), name="leaflet_css")
    figure.header.add_child(CssLink(assets.GRIDMAP_CSS), name="gridmap_css")
    # no favicon request: the browser would otherwise log a 404 on every page
    figure.header.add_child(elements.RawHtml('<link rel="icon" href="data:,">'), name="favicon")
    figure.html.add_child(elements.RawHtml(f'<div class="gm-title">{html.escape(title)}</div>'))
    basemaps.add_basemap(fmap, basemaps.from_spec(basemap_url, attribution=basemap_attribution))
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _centre(bounds: Bounds | None) -> list[float]:
    if bounds is None:
        return [34.6, 119.2]  # a sensible default view: Lianyungang, the demo district
    minx, miny, maxx, maxy = bounds
    return [(miny + maxy) / 2, (minx + maxx) / 2]


def render(fmap: folium.Map) -> str:
    """The page's HTML; every script and stylesheet is served by gridmap itself.

    With a GCJ-02 basemap everything the page embeds is shifted to GCJ-02 here, whatever order
    the page was built in (layers.basemaps.shift_page).
    """
    root = fmap.get_root()
    basemaps.shift_page(root)
    assets.make_offline(root)
    return root.render()


def frame_bounds(*frames_: gpd.GeoDataFrame) -> Bounds | None:
    """The joint lon/lat bounds of the non-empty frames (EPSG:4490), or None."""
    boxes = [f.total_bounds for f in frames_ if f is not None and not f.empty]
    if not boxes:
        return None
    frame = pd.DataFrame(boxes)
    return (frame[0].min(), frame[1].min(), frame[2].max(), frame[3].max())


class Panel(MacroElement):
    """A Leaflet control holding fixed HTML (legend, notes) in a map corner."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var panel = L.control({position: {{ this.position|tojson }}});
            panel.onAdd = function () {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.innerHTML = {{ this.content|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            panel.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, content: str, *, position: str = "bottomright",
                 css_class: str = "gm-panel") -> None:
        super().__init__()
        self._name = "Panel"
        self.content, self.position, self.css_class = content, position, css_class


class ScaleBar(MacroElement):
    """A metric-only scale bar (folium's control_scale adds feet and miles too)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


class ZoomGate(MacroElement):
    """Hides elements of a CSS class below a zoom level (labels and buildings clutter far out)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var gates = {{ this.gates|tojson }};
            function apply() {
                var z = map.getZoom(), box = map.getContainer();
                Object.keys(gates).forEach(function (cls) {
                    box.classList.toggle('gm-hide-' + cls, z < gates[cls]);
                });
            }
            map.on('zoomend', apply);
            map.whenReady(apply);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, gates: Mapping[str, int]) -> None:
        super().__init__()
        self._name = "ZoomGate"
        self.gates = dict(gates)


def icon_html(symbol: str, color: str) -> str:
    """A round coloured badge with one character: the icon of a facility type (no icon font)."""
    return (f'<span class="gm-icon" style="background:{html.escape(color)}">'
            f'{html.escape(symbol)}</span>')


def div_icon(symbol: str, color: str, *, size: int = 24) -> folium.DivIcon:
    """A marker icon drawn with CSS only (works offline, unlike folium.Icon)."""
    return folium.DivIcon(html=icon_html(symbol, color), icon_size=(size, size),
                          icon_anchor=(size // 2, size // 2), class_name="gm-divicon")


def legend_html(title: str, entries: Sequence[LegendEntry]) -> str:
    """One legend section: a heading and a row per entry (fill swatch, line or icon)."""
    rows = []
    for entry in entries:
        if entry.kind == "icon":
            mark = icon_html(entry.symbol, entry.color)
        else:
            mark = (f'<span class="gm-swatch gm-swatch-{entry.kind}" '
                    f'style="--c:{html.escape(entry.color)}"></span>')
        rows.append(f'<div class="gm-legend-row">{mark}{html.escape(entry.label)}</div>')
    return f'<div class="gm-legend-section"><h4>{html.escape(title)}</h4>{"".join(rows)}</div>'


def add_legend(fmap: folium.Map, layers: Iterable[Layer], *, title: str = "图例") -> Panel:
    """Add one legend panel with a section for each layer that has legend entries."""
    sections = "".join(legend_html(layer.label, layer.legend) for layer in layers if layer.legend)
    panel = Panel(f'<h3>{html.escape(title)}</h3>{sections}', css_class="gm-panel gm-legend")
    fmap.add_child(panel)
    return panel


def escaped(values: pd.Series) -> pd.Series:
    """``values`` as HTML-escaped strings (NA stays NA); vectorised, for popups and labels."""
    text = values.astype("string")
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.str.replace(raw, safe, regex=False)
    return text


def popup_html(frame: pd.DataFrame, attributes: Sequence[Attribute], *,
               title_field: str | None = None) -> pd.Series:
    """Per row, an escaped HTML table of ``attributes`` (label, value, unit); blanks show "—"."""
    body = pd.Series("", index=frame.index, dtype="string")
    for attr in attributes:  # a loop over columns: each step is one vectorised string op
        if attr.field not in frame.columns:
            continue
        values = frame[attr.field]
        if pd.api.types.is_float_dtype(values):
            values = values.round(3)
        unit = f" {attr.unit}" if attr.unit else ""
        cell = (escaped(values) + unit).fillna("—")
        body = body + f"<tr><th>{html.escape(attr.label)}</th><td>" + cell + "</td></tr>"
    head = ("<h4>" + escaped(frame[title_field]).fillna("") + "</h4>") if title_field else ""
    return '<div class="gm-popup">' + head + "<table>" + body + "</table></div>"


def feature_collection(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> dict:
    """GeoJSON of ``columns`` with coordinates snapped to 1e-6° (~0.1 m) to keep pages small.

    Features get a sequential ``id`` (folium keys its per-feature styles by it).
    """
    keep = pd.DataFrame({col: frame[col] for col in columns}, index=frame.index)
    keep.insert(0, "fid", range(len(frame)))
    geoms = shapely.set_precision(frame.geometry.values, 1e-6)
    out = gpd.GeoDataFrame(keep, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=frame.crs)
    return frames.feature_collection_from_frame(out, id_column="fid")


def popup(field: str = "popup") -> folium.GeoJsonPopup:
    """A popup showing the pre-rendered (escaped) HTML in property ``field``."""
    return folium.GeoJsonPopup(fields=[field], labels=False, localize=False, max_width=360)
