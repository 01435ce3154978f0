"""The map pages' small HTML pages: key login (登录), access denied and error notices.

Plain HTML with gridmap's own stylesheet (``.gm-panel``); no script, no CDN, so they work on
an intranet. Every value shown is HTML-escaped.
"""

from __future__ import annotations

import html
from typing import cast
from urllib.parse import quote

import folium
from branca.element import Figure

from gis.access.callers import Caller
from layers import assets, elements

LOGIN_URL = "/map/login"
LOGOUT_URL = "/map/logout"
ROLE_LABELS = {"admin": "管理员", "planner": "规划", "dispatcher": "调度", "grid_worker": "网格员",
               "viewer": "查看"}

_STYLE = """
body { font-family: "Microsoft YaHei", "PingFang SC", sans-serif; background: #eef2f6;
       margin: 0; }
.gm-card { max-width: 380px; margin: 12vh auto 0; padding: 20px 24px; }
.gm-card h3 { font-size: 18px; margin-bottom: 12px; }
.gm-card label { display: block; margin: 10px 0 4px; color: #333; }
.gm-card input[type=password] { width: 100%; box-sizing: border-box; padding: 6px; }
.gm-card button { margin-top: 14px; padding: 6px 18px; }
.gm-error { color: #b00020; margin: 8px 0; }
.gm-note { color: #555; font-size: 12px; margin-top: 14px; }
"""


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><link rel=\"icon\" href=\"data:,\">"
            f"<link rel=\"stylesheet\" href=\"{assets.GRIDMAP_CSS}\"><style>{_STYLE}</style>"
            f"</head><body><div class=\"gm-panel gm-card\">{body}</div></body></html>")


def login_href(next_url: str) -> str:
    """The login page's URL that comes back to ``next_url`` afterwards."""
    return f"{LOGIN_URL}?next={quote(next_url, safe='/')}"


def login_page(*, next_url: str, error: str | None = None, caller: Caller | None = None) -> str:
    """The key form (POST to /map/login, field ``key``), returning to ``next_url``."""
    notice = f'<p class="gm-error">{html.escape(error)}</p>' if error else ""
    current = ""
    if caller is not None and not caller.is_anonymous:
        current = (f'<p class="gm-note">当前已登录：{html.escape(_role(caller))}'
                   f'{logout_form()}</p>')
    body = (f"<h3>网格地图 · 密钥登录</h3>{notice}"
            f'<form method="post" action="{LOGIN_URL}">'
            f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
            '<label for="key">API 密钥 (gm_…)</label>'
            '<input id="key" name="key" type="password" autocomplete="off" required autofocus>'
            '<button type="submit">登录</button></form>'
            '<p class="gm-note">密钥由管理员用 <code>gridmap keys create</code> 生成。'
            "浏览器只保存签名的会话凭据，不保存密钥本身。</p>" + current)
    return _page("登录 · 网格地图", body)


def logout_form() -> str:
    """A one-button form posting to /map/logout."""
    return (f' <form method="post" action="{LOGOUT_URL}" style="display:inline">'
            '<button type="submit">退出登录</button></form>')


def notice_page(title: str, message: str, *, next_url: str | None = None,
                caller: Caller | None = None) -> str:
    """A page telling a person why they cannot see a map page (403, 404…), with a way on."""
    who = f"<p>当前身份：{html.escape(_role(caller))}</p>" if caller is not None else ""
    link = (f'<p><a href="{html.escape(login_href(next_url))}">换一个密钥登录</a>'
            ' · <a href="/map">返回总览地图</a></p>') if next_url else \
        '<p><a href="/map">返回总览地图</a></p>'
    return _page(title, f"<h3>{html.escape(title)}</h3><p>{html.escape(message)}</p>{who}{link}")


def _role(caller: Caller | None) -> str:
    if caller is None or caller.is_anonymous:
        return "未登录（公众）"
    region = f"，辖区 {caller.region_code}" if caller.region_code else ""
    return f"{ROLE_LABELS.get(caller.role or '', caller.role)}（{caller.role}{region}）"


def account_html(caller: Caller) -> str:
    """Who is looking, with a log-in link (back to the current page) or a log-out button."""
    if caller.is_anonymous:
        # the link's next= is the page the person is on, whatever its query string
        return (f'<a class="gm-login" href="{LOGIN_URL}" onclick="this.href=\'{LOGIN_URL}'
                "?next='+encodeURIComponent(location.pathname+location.search)\">"
                "登录查看楼栋详情</a>")
    return f"{html.escape(_role(caller))}{logout_form()}"


def add_account(fmap: folium.Map, caller: Caller) -> None:
    """Put ``account_html`` in the page's top-left corner, below the zoom buttons.

    A plain element beside the map (like the page title), not a Leaflet control: as a
    control (page.Panel) it left the e2e overview map stuck at its first zoom in headless
    Chromium, for reasons not found yet.
    """
    box = (f'<div class="gm-panel" style="position:absolute;top:80px;left:10px;'
           f'z-index:1000">{account_html(caller)}</div>')
    cast(Figure, fmap.get_root()).html.add_child(elements.RawHtml(box), name="gm_account")
