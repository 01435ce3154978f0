"""Leaflet and friends served by gridmap itself: government intranets have no internet.

The JavaScript and CSS come from registry packages (xstatic-leaflet, xstatic-jquery,
xstatic-leaflet-markercluster on PyPI), so a fresh machine gets them with pip and nothing
minified is vendored in this repository. Leaflet.draw has no light registry package on PyPI
(django-leaflet ships it but needs Django and is LGPL; the Odoo addon needs Odoo and is AGPL),
so it comes from npm's ``leaflet-draw`` (MIT), installed at ``make install`` time into the
ignored folder ``layers/static/vendor`` (see ``LEAFLET_DRAW_DIR``). Leaflet.VectorGrid (big
districts' buildings as vector tiles on ``/map``) likewise comes from npm's ``leaflet.vectorgrid``
(Beerware licence, a permissive one; its bundle holds pbf, vector-tile and topojson-client, BSD,
and geojson-vt, ISC), see ``VECTORGRID_DIR``. The API pages ``/docs`` and ``/redoc`` load Swagger
UI (npm ``swagger-ui-dist``, Apache-2.0) and ReDoc (npm ``redoc``, its self-contained
``bundles/redoc.standalone.js``, MIT) from the same npm command and folder (``SWAGGER_UI_DIR``,
``REDOC_DIR``): the CDN copies FastAPI links by default leave both pages blank on an intranet.
The 数字驾驶舱 draws its charts with Apache ECharts (npm ``echarts``, Apache-2.0, its
``dist/echarts.min.js``; ``ECHARTS_DIR``), from the same command and folder.
ReDoc's bundle is served as ``redoc_bundle()`` makes it, without its one outside request.
``make_offline`` points every folium element's ``default_js``/``default_css`` at gridmap's
own URLs and refuses a link it has no copy of.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import cast

import folium
import xstatic.pkg.jquery
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from branca.element import Element
from folium.elements import JSCSSMixin

STATIC = "/static"
VENDOR = f"{STATIC}/vendor"
GRIDMAP_CSS = f"{STATIC}/gridmap/gridmap.css"
LEAFLET_DRAW_VERSION = "1.0.4"
LEAFLET_DRAW_DIR = Path(str(resources.files("layers").joinpath(
    "static", "vendor", "node_modules", "leaflet-draw", "dist")))
"""Where ``npm install --prefix layers/static/vendor leaflet-draw@1.0.4`` puts Leaflet.draw."""
VECTORGRID_VERSION = "1.3.0"
VECTORGRID_DIR = Path(str(resources.files("layers").joinpath(
    "static", "vendor", "node_modules", "leaflet.vectorgrid", "dist")))
"""Where the same npm command's ``leaflet.vectorgrid@1.3.0`` puts Leaflet.VectorGrid."""
NODE_MODULES = Path(str(resources.files("layers").joinpath("static", "vendor", "node_modules")))
SWAGGER_UI_DIR = NODE_MODULES / "swagger-ui-dist"
"""Where the same npm command's ``swagger-ui-dist@5.35.0`` puts Swagger UI."""
REDOC_DIR = NODE_MODULES / "redoc" / "bundles"
"""Where the same npm command's ``redoc@2.5.4`` puts ReDoc's bundles."""
ECHARTS_DIR = NODE_MODULES / "echarts" / "dist"
"""Where the same npm command's ``echarts@6.0.0`` puts Apache ECharts (the 数字驾驶舱's charts)."""
ECHARTS_URL = f"{VENDOR}/echarts"
SWAGGER_UI = f"{VENDOR}/swagger-ui"
PMTILES_DIR = NODE_MODULES / "pmtiles" / "dist"
PROTOMAPS_LEAFLET_DIR = NODE_MODULES / "protomaps-leaflet" / "dist"
"""Where the same npm command's ``pmtiles@4.5.0`` (BSD-3-Clause) and ``protomaps-leaflet@5.1.0``
(BSD-3-Clause) put their browser bundles: a ``pmtiles://`` basemap (layers.basemaps)."""
PMTILES_JS = f"{VENDOR}/pmtiles/pmtiles.js"
PROTOMAPS_LEAFLET_JS = f"{VENDOR}/protomaps-leaflet/protomaps-leaflet.js"
API_DOCS_LINKS = {
    # the keyword arguments of fastapi.openapi.docs.get_swagger_ui_html / get_redoc_html
    "swagger_js_url": f"{SWAGGER_UI}/swagger-ui-bundle.js",
    "swagger_css_url": f"{SWAGGER_UI}/swagger-ui.css",
    "swagger_favicon_url": f"{SWAGGER_UI}/favicon-32x32.png",
    "redoc_js_url": f"{STATIC}/api-docs/redoc.standalone.js",  # redoc_bundle(), see there
    "redoc_favicon_url": f"{SWAGGER_UI}/favicon-32x32.png",
}
"""gridmap's own copies of what the API documentation pages load."""


@dataclass(frozen=True)
class AssetDir:
    """A folder of static files and the URL prefix it is served under."""

    url: str
    directory: Path


def has_leaflet_draw() -> bool:
    """Whether Leaflet.draw was installed (``make install`` runs npm; see README)."""
    return (LEAFLET_DRAW_DIR / "leaflet.draw.js").is_file()


def has_vectorgrid() -> bool:
    """Whether Leaflet.VectorGrid was installed (by the same npm command as Leaflet.draw)."""
    return (VECTORGRID_DIR / "Leaflet.VectorGrid.bundled.js").is_file()


def has_api_docs_assets() -> bool:
    """Whether Swagger UI and ReDoc were installed (by the same npm command as Leaflet.draw)."""
    return ((SWAGGER_UI_DIR / "swagger-ui-bundle.js").is_file()
            and (REDOC_DIR / "redoc.standalone.js").is_file())


def has_echarts() -> bool:
    """Whether Apache ECharts was installed (by the same npm command as Leaflet.draw)."""
    return (ECHARTS_DIR / "echarts.min.js").is_file()


REDOC_OUTSIDE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def redoc_bundle() -> bytes:
    """ReDoc's standalone bundle without its one outside request: the side menu's Redocly logo,
    an ``<img>`` from Redocly's CDN that no ReDoc option turns off (a blocked request and a
    console error on an intranet). Its ``src`` becomes empty, so the image fails quietly and
    ReDoc's own ``onError`` removes it; the "API docs by Redocly" credit stays."""
    bundle = (REDOC_DIR / "redoc.standalone.js").read_bytes()
    if bundle.count(REDOC_OUTSIDE_LOGO) != 1:
        raise RuntimeError(f"ReDoc's bundle in {REDOC_DIR} does not load its logo as expected "
                           "(another version?): check it for outside requests again")
    return bundle.replace(REDOC_OUTSIDE_LOGO, b"")


def asset_dirs() -> list[AssetDir]:
    """Every folder gridmap serves under ``/static`` (the API mounts each one)."""
    draw = [AssetDir(f"{VENDOR}/leaflet.draw", LEAFLET_DRAW_DIR)] if has_leaflet_draw() else []
    grid = [AssetDir(f"{VENDOR}/leaflet.vectorgrid", VECTORGRID_DIR)] if has_vectorgrid() else []
    docs = [AssetDir(SWAGGER_UI, SWAGGER_UI_DIR)] if has_api_docs_assets() else []
    charts = [AssetDir(ECHARTS_URL, ECHARTS_DIR)] if has_echarts() else []
    pmtiles = [AssetDir(f"{VENDOR}/{name}", folder) for name, folder in (
        ("pmtiles", PMTILES_DIR), ("protomaps-leaflet", PROTOMAPS_LEAFLET_DIR)) if folder.is_dir()]
    return [*draw, *grid, *docs, *charts, *pmtiles,
        AssetDir(f"{VENDOR}/leaflet", Path(xstatic.pkg.leaflet.BASE_DIR)),
        AssetDir(f"{VENDOR}/jquery", Path(xstatic.pkg.jquery.BASE_DIR)),
        AssetDir(f"{VENDOR}/leaflet.markercluster",
                 Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)),
        AssetDir(f"{STATIC}/gridmap", Path(str(resources.files("layers").joinpath("static")))),
    ]


OFFLINE_LINKS = {
    # folium's link names -> the same library served by gridmap
    "leaflet": f"{VENDOR}/leaflet/leaflet.js",
    "leaflet_css": f"{VENDOR}/leaflet/leaflet.css",
    "jquery": f"{VENDOR}/jquery/jquery.min.js",  # folium.Popup builds its content with $()
    "markerclusterjs": f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": f"{VENDOR}/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet_draw_js": f"{VENDOR}/leaflet.draw/leaflet.draw.js",  # folium.plugins.Draw
    "leaflet_draw_css": f"{VENDOR}/leaflet.draw/leaflet.draw.css",
    # folium.plugins.VectorGridProtobuf; the bundle carries its pbf/vector-tile decoders
    "vectorGrid": f"{VENDOR}/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js",
}
UNUSED_LINKS = frozenset({
    # Bootstrap and Awesome Markers only serve folium.Icon, which gridmap replaces with
    # DivIcons (layers.page.div_icon); make_offline refuses folium.Icon outright.
    "bootstrap", "bootstrap_css", "glyphicons_css", "awesome_markers",
    "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
})


def offline_links(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``links`` with each CDN URL replaced by gridmap's copy; unknown external ones refused."""
    out = []
    for name, url in links:
        if name in UNUSED_LINKS:
            continue
        if name in OFFLINE_LINKS:
            out.append((name, OFFLINE_LINKS[name]))
        elif url.startswith("/") and not url.startswith("//"):
            out.append((name, url))
        else:
            raise ValueError(f"no offline copy of {name!r} ({url}); serve it from a registry "
                             "package in layers/assets.py before using it on a page")
    return out


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def make_offline(root: Element) -> None:
    """Rewrite the JS/CSS links of ``root`` and all its descendants to gridmap's own URLs."""
    for element in _walk(root):
        if isinstance(element, folium.Icon):
            raise ValueError("folium.Icon needs Font Awesome from a CDN; use layers.page.div_icon")
        if hasattr(element, "default_js"):
            # folium's linking elements are JSCSSMixin, but a few (plugins.Timeline) only
            # carry the same two lists: tested by attribute, typed as the mixin
            linked = cast(JSCSSMixin, element)
            # instance attributes: the class-level lists are shared by every map in the process
            linked.default_js = offline_links(list(linked.default_js))
            linked.default_css = offline_links(list(linked.default_css))
