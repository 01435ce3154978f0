"""The API documentation pages ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), offline.

FastAPI's built-in pages load their scripts, styles, favicon and (ReDoc) Google fonts from
CDNs, so on an intranet they stay blank. The app turns them off (``docs_url=None``,
``redoc_url=None``) and these routes serve the same pages with gridmap's own copies
(``layers.assets.API_DOCS_LINKS``), FastAPI's documented pattern for self-hosted docs.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

from layers import assets

router = APIRouter(include_in_schema=False)

OAUTH2_REDIRECT = "/docs/oauth2-redirect"
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
"""No validator badge: Swagger UI would load it from validator.swagger.io on a public host."""


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over the app's OpenAPI document, with its assets served by gridmap."""
    links = assets.API_DOCS_LINKS
    return get_swagger_ui_html(
        openapi_url=str(request.app.openapi_url), title=f"{request.app.title} - Swagger UI",
        swagger_js_url=links["swagger_js_url"], swagger_css_url=links["swagger_css_url"],
        swagger_favicon_url=links["swagger_favicon_url"],
        oauth2_redirect_url=OAUTH2_REDIRECT, swagger_ui_parameters=SWAGGER_UI_PARAMETERS)


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page (inline script, nothing from outside)."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over the app's OpenAPI document; no Google fonts (the system's fonts instead)."""
    links = assets.API_DOCS_LINKS
    return get_redoc_html(
        openapi_url=str(request.app.openapi_url), title=f"{request.app.title} - ReDoc",
        redoc_js_url=links["redoc_js_url"], redoc_favicon_url=links["redoc_favicon_url"],
        with_google_fonts=False)


@router.get(assets.API_DOCS_LINKS["redoc_js_url"])
def redoc_script() -> Response:
    """ReDoc's bundle from npm, less its outside logo request (``layers.assets.redoc_bundle``)."""
    return Response(assets.redoc_bundle(), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})
