"""Basemaps under gridmap's layers: none (offline, the default), presets, or an XYZ URL.

A *basemap spec* (gis.core.settings.basemap_spec, carried by ``Settings.basemap_url`` and
the ``basemap_url`` argument of every page builder) is one of
``tianditu#key=K`` (天地图 vector + annotation), ``amap`` (高德, drawn in GCJ-02), ``osm``,
or an XYZ URL with optional ``#subdomains=1234&crs=gcj02``.

GCJ-02 basemaps: the image is shifted ~500 m from CGCS2000/WGS84, so ``page.render`` shifts
everything the page embeds (GeoJSON, markers, the initial view and bounds) to GCJ-02 on the
server (``shift_page``, using gis.core.crs). Page scripts that read a position off the map
(a click, the centre) turn it back with ``gmBasemap.toStorage(latlng)`` from
/static/gridmap/basemap.js; ``gmBasemap.toMap(latlng)`` places a storage position on the map.
Both are the identity on a WGS84 basemap, so pages may call them always. Vector tiles from
/tiles are not shifted: with a GCJ-02 basemap, pages should embed their layers.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode

import folium
import numpy as np
import numpy.typing as npt
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from gis.core import crs
from gis.core.errors import NotFound
from layers import assets, elements

BASEMAP_JS = f"{assets.STATIC}/gridmap/basemap.js"
PMTILES_SCHEME = "pmtiles://"
_TIANDITU = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
             "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&{key}")
"""天地图 WMTS GetTile in Web Mercator (``_w``), as lbs.tianditu.gov.cn/server/MapService.html
documents it; ``vec`` is the vector map, ``cva`` its Chinese annotation."""


@dataclass(frozen=True)
class Tiles:
    """One XYZ tile layer: URL template, ``{s}`` values, attribution (HTML), native zooms."""

    url: str
    subdomains: str = "abc"
    attribution: str = "内网底图"
    max_native_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """Tile layers drawn bottom first, and the CRS their images are in (wgs84 or gcj02);
    ``archive``: a local PMTiles file drawn instead (served at ``ARCHIVE_URL``)."""

    name: str
    tiles: tuple[Tiles, ...]
    crs: str = "wgs84"
    archive: Path | None = None


ARCHIVE_URL = "/map/basemap.pmtiles"
"""Where gridmap serves a ``pmtiles://`` basemap archive (with HTTP range requests)."""


def archive_path(spec: str | None) -> Path:
    """The local PMTiles file of a ``pmtiles://PATH`` spec; NotFound when none is configured
    or the file is missing. PATH is absolute (``pmtiles:///srv/base.pmtiles``) or relative
    to the working directory."""
    url = urldefrag(spec or "")[0]
    if not url.startswith(PMTILES_SCHEME):
        raise NotFound("no PMTiles basemap is configured (GRIDMAP_BASEMAP_URL=pmtiles://PATH)")
    path = Path(url[len(PMTILES_SCHEME):]).expanduser()
    if not path.is_file():
        raise NotFound("the configured PMTiles basemap file does not exist")
    return path


def _tianditu(key: str) -> Basemap:
    tk = urlencode({"tk": key})
    attribution = "© 天地图 国家地理信息公共服务平台"
    return Basemap("tianditu", (
        Tiles(_TIANDITU.format(layer="vec", key=tk), "01234567", attribution),
        Tiles(_TIANDITU.format(layer="cva", key=tk), "01234567", attribution)))


AMAP = Basemap("amap", (Tiles(
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}", "1234", "© 高德地图 AutoNavi"),), crs="gcj02")
"""高德's road map tiles (style 8), the ones its own JS API draws; their images are GCJ-02."""
OSM = Basemap("osm", (Tiles("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "",
                            "© OpenStreetMap contributors", 19),))
"""OpenStreetMap's standard tiles (tile.openstreetmap.org, no subdomains since 2023)."""


def from_spec(spec: str | None, *, attribution: str = "内网底图") -> Basemap | None:
    """The basemap a spec names (see the module docstring), or None for no basemap."""
    if not spec:
        return None
    url, fragment = urldefrag(spec)
    options = dict(parse_qsl(fragment))
    if url == "amap":
        return AMAP
    if url == "osm":
        return OSM
    if url == "tianditu":
        return _tianditu(options.get("key", ""))
    if url.startswith(PMTILES_SCHEME):
        return Basemap("pmtiles", (), archive=Path(url[len(PMTILES_SCHEME):]))
    return Basemap("custom", (Tiles(url, options.get("subdomains", "abc"), attribution),),
                   crs=options.get("crs", "wgs84"))


def draws_in_gcj02(spec: str | None) -> bool:
    """Whether the basemap a spec names is drawn in GCJ-02: gridmap's vector tiles
    (CGCS2000, not shifted) would then sit ~500 m off its image, so pages embed instead."""
    basemap = from_spec(spec)
    return basemap is not None and basemap.crs == crs.GCJ02


def add_basemap(fmap: folium.Map, basemap: Basemap | None) -> None:
    """Add ``basemap``'s tile layers (if any) and the page's coordinate helper to ``fmap``."""
    figure = fmap.get_root()
    if isinstance(figure, Figure):
        figure.header.add_child(elements.RawHtml(f'<script src="{BASEMAP_JS}"></script>'),
                                name="gm_basemap")
    if basemap is None:
        return
    if basemap.archive is not None and isinstance(figure, Figure):
        for name, url in (("pmtiles_js", assets.PMTILES_JS),
                          ("protomaps_leaflet_js", assets.PROTOMAPS_LEAFLET_JS)):
            figure.header.add_child(elements.RawHtml(f'<script src="{url}"></script>'), name=name)
        fmap.add_child(ArchiveLayer(ARCHIVE_URL))
    for i, tiles in enumerate(basemap.tiles):
        options: dict[str, Any] = {"subdomains": tiles.subdomains} if tiles.subdomains else {}
        folium.TileLayer(tiles.url, attr=html.escape(tiles.attribution),
                         name="底图" if i == 0 else "底图注记", max_zoom=20,
                         max_native_zoom=tiles.max_native_zoom, overlay=i > 0,
                         control=i == 0, **options).add_to(fmap)
    fmap.add_child(BasemapCrs(basemap.crs))


class ArchiveLayer(MacroElement):
    """A PMTiles archive under the map: raster tiles with pmtiles' Leaflet layer, vector tiles
    (a Protomaps basemap extract) drawn by protomaps-leaflet in its light flavour, in Chinese."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var source = new pmtiles.PMTiles({{ this.url|tojson }});
            source.getHeader().then(function (h) {
                var layer = h.tileType === pmtiles.TileType.Mvt
                    ? protomapsL.leafletLayer({url: {{ this.url|tojson }}, flavor: 'light',
                                               lang: 'zh', maxDataZoom: h.maxZoom})
                    : pmtiles.leafletRasterLayer(source, {maxNativeZoom: h.maxZoom});
                layer.addTo(map);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, url: str) -> None:
        super().__init__()
        self._name = "ArchiveLayer"
        self.url = url


class BasemapCrs(MacroElement):
    """Tells the page's scripts (``gmBasemap.crs``) which CRS the basemap's images are in."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.gmBasemap.crs = {{ this.crs|tojson }};
        {% endmacro %}
    """)

    def __init__(self, crs_name: str) -> None:
        super().__init__()
        self._name = "BasemapCrs"
        self.crs = crs_name
        self.shifted = False


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _to_gcj02(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(N, 2) lon/lat in EPSG:4490 to GCJ-02, snapped to 1e-6° as page.feature_collection."""
    lon, lat = crs.wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.asarray(np.round(np.column_stack([lon, lat]), 6), dtype=np.float64)


def _latlon_to_gcj02(value: Any) -> list[Any]:
    """[lat, lon] or nested lists of them (Leaflet's order, rings may differ in length),
    EPSG:4490, to GCJ-02."""
    if isinstance(value[0], (int, float, np.floating)):
        lon, lat = crs.wgs84_to_gcj02(value[1], value[0])
        return [round(float(lat), 6), round(float(lon), 6)]
    return [_latlon_to_gcj02(part) for part in value]


def shift_geojson(data: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (lon/lat, EPSG:4490) with its coordinates in GCJ-02."""
    features = data.get("features") or []
    geoms = np.array([shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None
                      for f in features], dtype=object)
    moved = shapely.transform(geoms, _to_gcj02)
    return {**data, "features": [
        {**f, "geometry": shapely.geometry.mapping(g) if g is not None else None}
        for f, g in zip(features, moved, strict=True)]}


def shift_page(root: Element) -> None:
    """Shift everything ``root`` embeds to GCJ-02 when one of its maps has a GCJ-02 basemap.

    GeoJSON layers (EPSG:4490 lon/lat), markers and circles, lines and polygons, initial
    views and fitted bounds (Leaflet's lat/lon) change in place; call once, before rendering.
    """
    elements = list(_walk(root))
    marks = [e for e in elements if isinstance(e, BasemapCrs) and e.crs == crs.GCJ02]
    if not marks or any(mark.shifted for mark in marks):
        return  # no GCJ-02 basemap, or rendered before: shift once only
    for mark in marks:
        mark.shifted = True
    for element in elements:
        if isinstance(element, folium.GeoJson) and isinstance(element.data, dict):
            element.data = shift_geojson(element.data)
        elif isinstance(element, folium.FitBounds):
            element.bounds = _latlon_to_gcj02(element.bounds)
        for attr in ("location", "locations"):
            value = getattr(element, attr, None)
            if value is not None and not isinstance(element, folium.GeoJson) and len(value):
                setattr(element, attr, _latlon_to_gcj02(value))
