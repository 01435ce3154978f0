"""The dispatcher console (``/map/dispatch`` without ``event=``): take a call on the map.

The district map (the caller's grids, EPSG:4490 drawn as lon/lat) with one side panel:

- 查找地点: a search box labelled 搜索 (address, compound, building code, grid code or name,
  or ``lon,lat`` in the chosen 坐标系) that flies to the place, highlights its grid and shows
  the grid worker's card (``tel:`` links) and the nearest building's address;
- 受理登记: the intake form (地址, 类别, 渠道, 描述, 报告人, 电话, 提交); a click on the map
  sets the location instead of the address; after 提交 the event's code, grid, community,
  worker, due time (Beijing time) and duplicate hints show at once;
- 待定位: the events of the caller's region waiting for a location, with the geocoder's
  candidates on the map; one click on a candidate or on the map places the chosen one.

The page holds no key: layers/static/console.js reads and writes through ``gm.send`` (the
login cookie plus the CSRF token of the shell). Labels are Chinese; times Beijing time.
"""

from __future__ import annotations

import html
from typing import Any, cast

import folium
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from jinja2 import Template
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.events.categories import CATEGORIES, CHANNEL_LABELS
from gis.grids import registry
from layers import assets, deferred, page, shell

CONSOLE_JS = f"{assets.STATIC}/gridmap/console.js"
CONSOLE_CSS = f"{assets.STATIC}/gridmap/console.css"
LAYERS_URL = "/map/layers/console"
CRS_CHOICES: tuple[tuple[str, str], ...] = (
    ("EPSG:4490", "WGS84 / CGCS2000（GPS、天地图）"), ("gcj02", "GCJ-02（高德、腾讯、微信）"),
    ("bd09", "BD-09（百度）"))
DEFAULT_CHANNEL = "12345"


class ConsoleStart(MacroElement):
    """Starts layers/static/console.js on the map once folium has made it."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        gmConsole.start({{ this._parent.get_name() }}, {{ this.config|tojson }});
        {% endmacro %}
    """)

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "ConsoleStart"
        self.config = config


def _options(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]],
             selected: str | None = None) -> str:
    return "".join(
        f'<option value="{html.escape(value)}"{" selected" if value == selected else ""}>'
        f"{html.escape(label)}</option>" for value, label in pairs)


def _field(label: str, control: str, ident: str) -> str:
    return f'<div class="gm-field"><label for="{ident}">{label}</label>{control}</div>'


def search_html() -> str:
    """The search section: 搜索 box, 坐标系 choice, result card."""
    box = ('<input id="gm-search" type="search" autocomplete="off" '
           'placeholder="地址、小区、楼栋/网格编码或名称、坐标 经度,纬度">')
    crs = f'<select id="gm-search-crs">{_options(CRS_CHOICES)}</select>'
    return ('<section class="gm-console-search"><h3>查找地点</h3>'
            '<form id="gm-search-form" role="search">'
            f'{_field("搜索", box, "gm-search")}{_field("坐标系", crs, "gm-search-crs")}'
            '<button type="submit">查找</button></form>'
            '<div id="gm-search-result" aria-live="polite"></div></section>')


def intake_html() -> str:
    """The intake form: 地址, 类别, 渠道, 描述, 报告人, 电话 and 提交."""
    categories = [("", "请选择类别")] + [(c.code, c.label_zh) for c in CATEGORIES]
    channels = list(CHANNEL_LABELS.items())
    fields = [
        _field("地址", '<input id="gm-address" autocomplete="off" '
               'placeholder="来电地址，或点击地图选点">', "gm-address"),
        _field("类别", f'<select id="gm-category" required>{_options(categories)}</select>',
               "gm-category"),
        _field("渠道", f'<select id="gm-channel">{_options(channels, DEFAULT_CHANNEL)}</select>',
               "gm-channel"),
        _field("描述", '<textarea id="gm-description" rows="2" maxlength="2000"></textarea>',
               "gm-description"),
        _field("报告人", '<input id="gm-reporter" maxlength="50" autocomplete="off">',
               "gm-reporter"),
        _field("电话", '<input id="gm-phone" type="tel" maxlength="20" autocomplete="off">',
               "gm-phone"),
    ]
    return ('<section class="gm-console-intake"><h3>受理登记</h3><form id="gm-intake">'
            + "".join(fields)
            + '<p id="gm-picked" class="gm-hint">地址不明时点击地图选点</p>'
            '<button type="submit">提交</button></form>'
            '<div id="gm-intake-result" aria-live="polite"></div></section>')


def queue_html() -> str:
    """The 待定位 queue: filled by console.js from the events API."""
    return ('<section class="gm-console-queue"><h3>待定位</h3>'
            '<p class="gm-hint">选中一件，点击地图上的候选位置或任意位置即可定位。</p>'
            '<ol id="gm-queue"></ol><div id="gm-queue-result" aria-live="polite"></div>'
            '</section>')


def console_config(caller: Caller) -> dict[str, Any]:
    """What console.js needs: labels of categories and channels, the caller's region."""
    return {"categories": {c.code: c.label_zh for c in CATEGORIES},
            "channels": dict(CHANNEL_LABELS), "scope": caller.scope,
            "places": caller.role in ("admin", "dispatcher")}


def render_console(session: Session, caller: Caller, *, csrf: str | None = None,
                   basemap_url: str | None = None) -> str:
    """The dispatcher console page (HTML, offline-ready) over the grids of the caller's
    region, which come after load from ``/map/layers/console`` for the map's view
    (``console_layers``); ``csrf`` (the page's token) lets its forms write."""
    fmap = page.base_map(registry.map_extent(session, scope=caller.scope),
                         title="事件调度 · 受理台", basemap_url=basemap_url)
    shell.add_shell(fmap, caller, active="/map/dispatch", csrf=csrf)
    deferred.add_deferred(fmap, LAYERS_URL, [deferred.DeferredLayer(
        "grids", name="网格", spec={"tooltip": "label",
                                   "options": {"className": "gm-console-grid"}})],
        viewport=True)
    fmap.add_child(page.Panel(search_html() + intake_html() + queue_html(),
                              position="topleft", css_class="gm-panel gm-console"))
    figure = cast(Figure, fmap.get_root())
    figure.header.add_child(CssLink(CONSOLE_CSS), name="gm_console_css")
    figure.header.add_child(JavascriptLink(CONSOLE_JS), name="gm_console_js")
    fmap.add_child(ConsoleStart(console_config(caller)))
    return page.render(fmap)


def console_layers(session: Session, caller: Caller, *, bbox: page.Bounds | None = None,
                   basemap_url: str | None = None) -> dict[str, Any]:
    """The console's grids of the caller's region inside ``bbox`` (lon/lat, EPSG:4490; None:
    all) with their code and name as a tooltip (``deferred.answer``)."""
    grids = registry.list_grids(session, scope=caller.scope, bbox=bbox)
    if grids.empty:
        return deferred.answer({"grids": None}, basemap_url=basemap_url)
    labelled = grids.assign(label=page.escaped(grids["code"]) + " "
                            + page.escaped(grids["name"]))
    layer = folium.GeoJson(page.feature_collection(labelled, ["code", "label"]), name="网格",
                           style_function=lambda _: {"color": "#5c6bc0", "weight": 1,
                                                     "fillColor": "#c5cae9",
                                                     "fillOpacity": 0.15})
    return deferred.answer({"grids": layer}, basemap_url=basemap_url)
