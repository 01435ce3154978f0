"""The OpenAPI document describes every JSON answer, and real answers match their models."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from api.main import create_app
from api.routes import ROUTERS
from gis.access import keys

JSON_TYPES = ("application/json", "application/geo+json")


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app()


def _json_answers(spec: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, status, content) of every 200/201 JSON answer in ``spec``."""
    out = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media, content in answer.get("content", {}).items():
                    if status in ("200", "201") and media in JSON_TYPES:
                        out.append((method.upper(), path, status, content))
    return out


def _described(schema: dict[str, Any]) -> bool:
    """A named model, or an object/array with its members described."""
    return "$ref" in schema or bool(schema.get("properties")) or (
        schema.get("type") == "array" and _described(schema.get("items", {})))


def test_every_json_route_documents_its_answer(app: FastAPI) -> None:
    answers = _json_answers(app.openapi())
    assert len(answers) > 40
    bare = [f"{m} {p} {s}" for m, p, s, content in answers
            if not _described(content.get("schema", {}))]
    assert bare == [], f"JSON answers without a response schema: {bare}"


def _routes() -> list[APIRoute]:
    """Every route of the routers the app mounts (paths with their router's prefix)."""
    return [route for router in ROUTERS for route in router.routes
            if isinstance(route, APIRoute)]


def _file_download(route: APIRoute) -> bool:
    """A route answering a documented file (e.g. .xlsx), not JSON: its 200 names a binary
    media type and no JSON one."""
    content = route.responses.get(200, {}).get("content", {})
    return bool(content) and not set(content) & set(JSON_TYPES)


def test_every_json_route_has_a_success_answer(app: FastAPI) -> None:
    documented = {(m, p) for m, p, _, _ in _json_answers(app.openapi())}
    routes = [(method, route.path) for route in _routes() for method in route.methods
              if not route.path.startswith(("/map", "/tiles")) and route.include_in_schema
              and not _file_download(route)]
    assert len(routes) > 40
    missing = [f"{m} {p}" for m, p in routes if (m, p) not in documented]
    assert missing == [], f"routes without a 200/201 JSON answer in /docs: {missing}"


def test_errors_are_described_with_the_error_body(app: FastAPI) -> None:
    spec = app.openapi()
    wrong = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
                if status.startswith("4") and schema.get("title") != "ErrorBody":
                    wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == [], f"errors not described as {{detail, code}}: {wrong}"
    body = spec["paths"]["/api/v1/grids/{code}"]["get"]["responses"]["404"]["content"]
    assert set(body["application/json"]["schema"]["required"]) == {"detail", "code"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def _model_of(method: str, path: str) -> Any:
    for route in _routes():
        if method in route.methods:
            match, _ = route.matches({"type": "http", "path": path, "method": method})
            if match.name == "FULL":
                return route.response_model
    raise AssertionError(f"no route for {method} {path}")


READS = [
    "/api/v1/health", "/api/v1/grids?limit=5", "/api/v1/grids/320706013001001",
    "/api/v1/grids/load", "/api/v1/qa?scope=320706013003", "/api/v1/regions",
    "/api/v1/regions/320706013001", "/api/v1/buildings?limit=5",
    "/api/v1/buildings/320706013B00001", "/api/v1/buildings/320706013B00001/households",
    "/api/v1/buildings/320706013B00001/grid-history", "/api/v1/facilities",
    "/api/v1/grid-workers?limit=5", "/api/v1/residents?building=320706013B00001",
    "/api/v1/locate?lon=119.215&lat=34.60&crs=gcj02",
    "/api/v1/geocode?q=秦东门大街140号12栋", "/api/v1/events?limit=5",
    "/api/v1/events/overdue", "/api/v1/kpis?from=2026-05-01&to=2026-10-31",
    "/api/v1/service-circles?type=party_center&minutes=10",
    "/api/v1/coverage?type=party_center&minutes=10",
    "/api/v1/coverage/sites?type=party_center&minutes=10&k=1", "/api/v1/export/grids",
    "/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/grids",
    "/ogc/collections/grids/items?limit=5", "/ogc/collections/grids/items/320706013001001",
    "/open311/discovery.json", "/open311/v2/services.json",
    "/open311/v2/requests.json?start_date=2026-10-01T00:00:00Z",
]


def test_demo_answers_match_their_models(demo_client: TestClient,
                                         demo_session: Session) -> None:
    """GeoJSON answers are serialised once and not re-checked on the way out: here they are
    checked against the documented model, as every JSON read over the demo district."""
    auth = {"Authorization": f"Bearer {keys.create_key(demo_session, role='admin')}"}
    for url in READS:
        answer = demo_client.get(url, headers=auth)
        assert answer.status_code == 200, (url, answer.text[:300])
        model = _model_of("GET", url.split("?")[0])
        assert model is not None, f"GET {url} has no response_model"
        body = answer.json()
        TypeAdapter(model).validate_python(body, strict=True)
        if "features" in body:
            assert body["features"], f"{url}: an empty collection checks nothing"
