"""/docs and /redoc name no outside host and every asset they link is served by gridmap."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from gis.core.settings import Settings
from layers import assets

pytestmark = pytest.mark.skipif(not assets.has_api_docs_assets(),
                                reason="Swagger UI and ReDoc come from npm: run `make install`")

OUTSIDE = re.compile(r"(?:https?:)?//[\w.-]+\.\w+", re.IGNORECASE)
LINKED = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.fixture(scope="module")
def docs_client(base_settings: Settings) -> Iterator[TestClient]:
    """The app with its lifespan (every request gets a session, which opens no connection
    unless used: these pages and files read nothing from the database)."""
    with TestClient(create_app(base_settings)) as client:
        yield client


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_docs_pages_name_no_outside_host(docs_client: TestClient, path: str) -> None:
    response = docs_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert OUTSIDE.findall(response.text) == []
    assert "fonts.googleapis" not in response.text


@pytest.mark.parametrize("path, expected", [
    ("/docs", {"swagger_js_url", "swagger_css_url", "swagger_favicon_url"}),
    ("/redoc", {"redoc_js_url", "redoc_favicon_url"}),
])
def test_docs_assets_are_served_by_gridmap(docs_client: TestClient, path: str,
                                           expected: set[str]) -> None:
    linked = set(LINKED.findall(docs_client.get(path).text))
    assert linked == {assets.API_DOCS_LINKS[name] for name in expected}
    for url in linked:
        asset = docs_client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url


def test_docs_pages_read_the_apps_openapi_document(docs_client: TestClient) -> None:
    assert "url: '/openapi.json'" in docs_client.get("/docs").text
    assert 'spec-url="/openapi.json"' in docs_client.get("/redoc").text
    paths = docs_client.get("/openapi.json").json()["paths"]
    assert "/api/v1/locate" in paths
    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(paths)


def test_redoc_bundle_is_npms_less_its_outside_logo(docs_client: TestClient) -> None:
    served = docs_client.get(assets.API_DOCS_LINKS["redoc_js_url"])
    assert served.headers["content-type"].startswith("text/javascript")
    original = (assets.REDOC_DIR / "redoc.standalone.js").read_bytes()
    assert assets.REDOC_OUTSIDE_LOGO in original
    assert b"cdn.redoc.ly" not in served.content
    assert len(served.content) == len(original) - len(assets.REDOC_OUTSIDE_LOGO)
