"""Map-page login: a person types a key once; the browser keeps a signed session cookie.

``POST /map/login`` checks the key (gis.access.keys) and sets ``gridmap_key`` (HttpOnly,
SameSite=Strict) holding a signed, expiring token, never the key itself; ``POST /map/logout``
clears it. The cookie alone authorises reads; a page's write needs the cookie plus its CSRF
token (``X-CSRF-Token``; see ``api.deps.COOKIE_METHODS`` and ``keys.csrf_token``).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import ratelimits
from api.deps import SESSION_COOKIE, CallerDep, ServerSecretDep, SessionDep, SettingsDep
from api.schemas.common import errors
from gis.access import keys
from layers import login

router = APIRouter(tags=["maps"],
                   responses=errors(401, 422))
Next = Annotated[str, Form()]


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/map`` (no open redirect elsewhere)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/map"
    parts = urlsplit(target)
    return "/map" if parts.scheme or parts.netloc else target


@router.get(login.LOGIN_URL, response_class=HTMLResponse, summary="地图页密钥登录 (login form)")
def get_login(caller: CallerDep, next: str | None = None) -> HTMLResponse:
    """The key form; after logging in the browser goes back to ``next`` (default /map)."""
    return HTMLResponse(login.login_page(next_url=safe_next(next), caller=caller))


@router.post(login.LOGIN_URL, response_class=HTMLResponse, summary="登录 (set the map cookie)")
def post_login(request: Request, session: SessionDep, settings: SettingsDep,
               secret: ServerSecretDep, key: Annotated[str, Form()],
               next: Next = "/map") -> Response:
    """Check ``key``; on success set the session cookie and 303 to ``next``, else 401 form.
    Attempts per address are limited (GRIDMAP_RATE_LIMIT_LOGINS, and wrong keys count
    against GRIDMAP_RATE_LIMIT_WRONG_KEYS): past either, 429 before the key is checked."""
    limits = ratelimits.of(request)
    limits.check_address(request)
    limits.login(request)
    caller = keys.caller_for_login(session, key, secret)
    if caller is None:  # a person's typo: the form again, not a JSON error
        limits.wrong_key(request, "map login with a wrong key")
        page = login.login_page(next_url=safe_next(next), error="密钥无效或已停用，请重试。")
        return HTMLResponse(page, status_code=401)
    token = keys.create_session_token(caller, secret,
                                      hours=settings.session_hours)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(settings.session_hours * 3600),
                        path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post(login.LOGOUT_URL, summary="退出登录 (clear the map cookie)",
             response_class=RedirectResponse, status_code=303)
def post_logout() -> RedirectResponse:
    """Forget the session cookie and go back to the login form."""
    response = RedirectResponse(login.LOGIN_URL, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
