"""One shell for every map page: the page menu, who is logged in and where, the CSRF token.

``add_shell`` puts a header bar over a folium page: the menu (网格总览, 事件调度, 服务圈,
网格调整, 驾驶舱), the person's role and jurisdiction with log-in/log-out, gridmap's own
attribution prefix instead of Leaflet's (a flag and a link that would leave the intranet),
and ``/static/gridmap/gridmap.js``, whose ``gm.send`` makes every page write carry the CSRF
token (``api.deps.CSRF_HEADER``); the key itself never reaches the page.
"""

from __future__ import annotations

import html
from typing import cast

import folium
from branca.element import Figure, JavascriptLink, MacroElement
from jinja2 import Template

from gis.access.callers import Caller
from layers import assets, elements, login

GRIDMAP_JS = f"{assets.STATIC}/gridmap/gridmap.js"
MENU: tuple[tuple[str, str], ...] = (
    ("网格总览", "/map"), ("事件调度", "/map/dispatch"), ("服务圈", "/map/coverage"),
    ("网格调整", "/map/plans"), ("驾驶舱", "/map/cockpit"))
ATTRIBUTION = "gridmap 网格地图"


class AttributionPrefix(MacroElement):
    """Replaces Leaflet's attribution prefix (its flag and leafletjs.com link)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
        {% endmacro %}
    """)

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._name = "AttributionPrefix"
        self.prefix = prefix


def menu_html(active: str) -> str:
    """The page menu; ``active`` is the URL of the page shown (marked ``aria-current``)."""
    current = ' aria-current="page"'
    links = "".join(f'<a href="{url}"{current if url == active else ""}>{html.escape(label)}</a>'
                    for label, url in MENU)
    return (f'<button type="button" class="gm-menu-toggle" aria-label="菜单" '
            f'onclick="gm.toggleMenu()">☰</button><nav class="gm-menu">{links}</nav>')


def shell_html(caller: Caller, *, active: str) -> str:
    """The header bar: the menu and who is looking (role, jurisdiction, log in/out)."""
    return (f'<header class="gm-shell">{menu_html(active)}'
            f'<div class="gm-who">{login.account_html(caller)}</div></header>')


def add_shell(fmap: folium.Map, caller: Caller, *, active: str,
              csrf: str | None = None) -> None:
    """Put the shell on ``fmap``'s page; ``csrf`` (api.deps.PageCsrfDep) lets its forms write."""
    figure = cast(Figure, fmap.get_root())
    token = html.escape(csrf or "")
    figure.header.add_child(elements.RawHtml(f'<meta name="gm-csrf" content="{token}">'),
                            name="gm_csrf")
    figure.header.add_child(elements.RawHtml(
        '<meta name="viewport" content="width=device-width, initial-scale=1">'), name="gm_vp")
    figure.header.add_child(JavascriptLink(GRIDMAP_JS), name="gridmap_js")
    figure.html.add_child(elements.RawHtml(shell_html(caller, active=active)), name="gm_shell")
    figure.html.add_child(elements.RawHtml("<script>document.body.classList.add('gm-shelled')</script>"),
                          name="gm_shelled")
    fmap.add_child(AttributionPrefix(ATTRIBUTION))
