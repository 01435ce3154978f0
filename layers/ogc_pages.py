"""HTML views of the OGC API (``?f=html`` or a browser's ``Accept: text/html``): landing page,
collections and items, in the map pages' style and offline (Leaflet from gridmap's /static).

Geometry handed in is in the response's CRS only when that is CRS84 (lon/lat): item maps
are always drawn from the lon/lat frame.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from layers import catalogue, elements, page

STYLE = ('<style>body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;'
         "margin:16px;color:#223}table{border-collapse:collapse;font-size:13px}"
         "td,th{border:1px solid #ccd;padding:3px 8px;text-align:left}"
         "th{background:#eef}a{color:#1f4e79}</style>")


def _document(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<link rel="icon" href="data:,"><title>{html.escape(title)}</title>{STYLE}</head>'
            f"<body><h2>{html.escape(title)}</h2>{body}</body></html>")


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _html_href(href: str) -> str:
    return href + ("&" if "?" in href else "?") + "f=html"


def landing_html(title: str, description: str, links: Sequence[dict]) -> str:
    """The landing page: its description and every link (JSON and, where there is one, HTML)."""
    rows = "".join(f"<tr><td>{html.escape(link['rel'])}</td><td>{_link(link['href'], link['href'])}"
                   f"</td></tr>" for link in links)
    return _document(title, f"<p>{html.escape(description)}</p>"
                            f"<table><tr><th>rel</th><th>链接</th></tr>{rows}</table>")


def collections_html(collections: Sequence[dict]) -> str:
    """Every collection with its description, extent and links to its items."""
    rows = []
    for info in collections:
        items = next(link["href"] for link in info["links"] if link["rel"] == "items")
        box = info.get("extent", {}).get("spatial", {}).get("bbox") or [[]]
        shown = ", ".join(f"{v:.4f}" for v in box[0])
        rows.append(f"<tr><td>{_link(_html_href(items), info['id'])}</td>"
                    f"<td>{html.escape(info['title'])}</td>"
                    f"<td>{html.escape(info.get('description') or '')}</td>"
                    f"<td>{html.escape(shown)}</td></tr>")
    return _document("数据集 Collections",
                     "<table><tr><th>id</th><th>名称</th><th>说明</th><th>范围 (经纬度)</th></tr>"
                     + "".join(rows) + "</table>")


def items_html(frame: gpd.GeoDataFrame, *, title: str, links: Sequence[dict],
               matched: int) -> str:
    """A map of one page of features (EPSG:4490 lon/lat) above their attribute table."""
    fmap = page.base_map(page.frame_bounds(frame), title=title)
    shown = frame.drop(columns=[c for c in ("id", "popup") if c in frame.columns])
    columns = [c for c in shown.columns if c not in ("geometry", shown.geometry.name)]
    if not frame.empty:
        data = shown.assign(popup=page.popup_html(
            shown, [catalogue.Attribute(c, c) for c in columns[:12]], title_field=None))
        folium.GeoJson(page.feature_collection(data, ["popup"]), name=title,
                       popup=page.popup()).add_to(fmap)
    nav = " · ".join(_link(_html_href(link["href"]), link["rel"]) for link in links
                     if link["rel"] in ("prev", "next"))
    table = pd.DataFrame(shown[columns]).to_html(index=False, na_rep="—", border=0)
    cast(Figure, fmap.get_root()).html.add_child(elements.RawHtml(
        f'<div class="gm-panel" style="position:absolute;bottom:0;left:0;right:0;'
        f'max-height:40vh;overflow:auto;z-index:1000">共 {matched} 个要素 {nav}{table}</div>'))
    return page.render(fmap)
