"""Limits that protect the service, over real HTTP: body size, archives, features, vertices,
page size, statement_timeout and rate limits (issue 10)."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import shapely
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.deps import get_session, statement_timeout
from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.builders import make_grid, square
from tests.gis.iofiles import LAT, LON, grid_frame, write
from tests.plan_cases import make_lattice

WRONG_KEY = "gm_abcdefgh_thisisnotakeyatall"


@contextmanager
def limited(engine: Engine, session: Session | None, base: Settings,
            **limits: object) -> Iterator[TestClient]:
    """A client on an app made with ``limits`` over the settings; sharing the test's
    rolled-back session unless ``session`` is None (then the app's own sessions)."""
    app = create_app(dbs.settings_for(engine, base).model_copy(update=limits))
    if session is not None:
        app.dependency_overrides[get_session] = lambda: session
    with TestClient(app) as client:
        yield client


def auth(session: Session, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


# 1. request bodies

def test_body_over_the_limit_is_413_declared_or_streamed(engine: Engine, session: Session,
                                                         base_settings: Settings) -> None:
    with limited(engine, session, base_settings, max_body_bytes=1000) as client:
        headers = auth(session, "dispatcher") | {"Content-Type": "application/json"}
        big = b'{"description": "' + b"x" * 2000 + b'"}'
        answer = client.post("/api/v1/events", content=big, headers=headers)
        assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
        assert "GRIDMAP_MAX_BODY_BYTES" in answer.json()["detail"]
        # no Content-Length (chunked): counted as it streams in
        answer = client.post("/api/v1/events", content=iter([big[:600], big[600:]]),
                             headers=headers)
        assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
        small = client.post("/api/v1/events", content=b"{}", headers=headers)
        assert small.status_code == 422  # under the limit: the route's own validation


def test_open311_body_over_the_limit_is_413_in_georeport_format(
        engine: Engine, session: Session, base_settings: Settings) -> None:
    """A GeoReport client reads a too-large POST's refusal as it reads every error: an
    array of {code, description}, XML or JSON as the path ends (declared or streamed)."""
    with limited(engine, session, base_settings, max_body_bytes=1000,
                 max_photo_bytes=1000) as client:  # a photo's limit + 64 kB of form
        fields = {"service_code": "noise", "lat": "34.6", "long": "119.2",
                  "description": "x" * 70_000}
        answer = client.post("/open311/v2/requests.json", data=fields)
        assert answer.status_code == 413, answer.text
        [error] = answer.json()
        assert error["code"] == 413 and "MB" in error["description"]
        answer = client.post("/open311/v2/requests.xml", content=iter([b"a=" + b"x" * 30_000] * 3),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"].startswith("text/xml")
        assert "<errors><error><code>413</code><description>" in answer.text


# 2. archives

def _zipped_grids(tmp_path: Path, *, padding: bytes = b"", members: int = 0) -> bytes:
    tmp_path.mkdir(exist_ok=True)
    shp = write(grid_frame(2), tmp_path / "grids.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.parent.glob("grids.*"):
            archive.write(part, part.name)
        if padding:
            archive.writestr("readme.txt", padding)
        for i in range(members):
            archive.writestr(f"note{i}.txt", "x")
    return buffer.getvalue()


@pytest.mark.parametrize(("limits", "zip_args", "named"), [
    ({}, {"padding": b"\0" * 8_000_000}, "GRIDMAP_MAX_ARCHIVE_RATIO"),
    ({"max_archive_bytes": 100_000}, {"padding": bytes(range(256)) * 800},
     "GRIDMAP_MAX_ARCHIVE_BYTES"),
    ({"max_archive_members": 6}, {"members": 3}, "GRIDMAP_MAX_ARCHIVE_MEMBERS"),
])
def test_archive_past_a_limit_is_413_before_reading(
        engine: Engine, session: Session, base_settings: Settings, tmp_path: Path,
        limits: dict, zip_args: dict, named: str) -> None:
    data = _zipped_grids(tmp_path, **zip_args)
    with limited(engine, session, base_settings, **limits) as client:
        headers = auth(session, "planner")
        answer = client.post("/api/v1/import/grids", headers=headers,
                             files={"file": ("grids.zip", data)})
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "payload_too_large" and named in answer.json()["detail"]
        answer = client.post("/api/v1/import/grids", headers=headers,
                             files={"file": ("grids.zip", _zipped_grids(tmp_path / "ok"))})
        assert answer.status_code == 200, answer.text


# 3. features per import, vertices per geometry

def test_import_with_too_many_features_is_413(engine: Engine, session: Session,
                                              base_settings: Settings) -> None:
    body = grid_frame(3).to_json().encode()
    with limited(engine, session, base_settings, max_import_features=2) as client:
        answer = client.post("/api/v1/import/grids", content=body,
                             headers=auth(session, "planner"))
    assert answer.status_code == 413 and "holds 3 features" in answer.json()["detail"]
    assert "GRIDMAP_MAX_IMPORT_FEATURES" in answer.json()["detail"]


def test_import_rejects_the_row_with_too_many_vertices(engine: Engine, session: Session,
                                                       base_settings: Settings) -> None:
    frame = grid_frame(3)
    frame.loc[1, "geometry"] = shapely.segmentize(frame.geometry.iloc[1], 0.00005)
    assert shapely.get_num_coordinates(frame.geometry.iloc[1]) > 50
    with limited(engine, session, base_settings, max_vertices=50) as client:
        answer = client.post("/api/v1/import/grids", content=frame.to_json().encode(),
                             headers=auth(session, "planner"))
    body = answer.json()
    assert answer.status_code == 422 and body["code"] == "import_rejected"
    rejected = [r for r in body["report"]["rows"] if r["status"] == "rejected"]
    assert [r["row"] for r in rejected] == [2] and rejected[0]["code"] == "G002"
    assert "too many vertices" in rejected[0]["reason"]
    assert "GRIDMAP_MAX_VERTICES" in rejected[0]["reason"]


def test_plan_edit_with_too_many_vertices_is_422(engine: Engine, session: Session,
                                                 base_settings: Settings) -> None:
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    with limited(engine, session, base_settings, max_vertices=50) as client:
        planner = auth(session, "planner")
        plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                           headers=planner).json()
        ring = shapely.segmentize(shapely.box(LON, LAT, LON + 0.01, LAT + 0.01), 0.0001)
        polygon = shapely.geometry.mapping(ring)
        answer = client.post(f"/api/v1/plans/{plan['id']}/edits", headers=planner,
                             json={"op": "replace", "seq": 1, "polygon": polygon})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_geometry"
    assert "too many vertices" in answer.json()["detail"]
    assert answer.json()["max_vertices"] == 50


# 4. page size

def _query_names(dependant: Dependant) -> set[str]:
    names = {p.name for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _limited_list_routes(client: TestClient) -> list[str]:
    """Every GET route without path parameters that takes ``limit``."""
    contexts = iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
    return [c.path for c in contexts if isinstance(c.original_route, APIRoute)
            and "GET" in (c.methods or set()) and "{" not in c.path
            and "limit" in _query_names(c.original_route.dependant)]


def test_every_list_route_honours_the_page_size(engine: Engine, session: Session,
                                                base_settings: Settings) -> None:
    with limited(engine, session, base_settings, max_page_size=7) as client:
        paths = _limited_list_routes(client)
        assert "/api/v1/grids" in paths and "/api/v1/events" in paths
        for path in paths:
            answer = client.get(path, params={"limit": 8}, headers=auth(session, "admin"))
            assert answer.status_code == 422, path
            assert "between 1 and 7" in answer.json()["detail"], path
        # OGC API clamps an oversized limit to the maximum, as its standard asks
        for i in range(9):
            make_grid(session, geom=square(119.2 + 0.002 * i, 34.6, 0.001))
        ogc = client.get("/ogc/collections/grids/items", params={"limit": 8})
        assert ogc.status_code == 200 and ogc.json()["numberReturned"] == 7
        assert ogc.json()["numberMatched"] >= 9


def test_open311_lists_at_most_a_page(demo_engine: Engine, demo_session: Session,
                                      base_settings: Settings) -> None:
    with limited(demo_engine, demo_session, base_settings, max_page_size=3) as client:
        answer = client.get("/open311/v2/requests.json",
                            params={"start_date": "2000-01-01T00:00:00Z"},
                            headers=auth(demo_session, "dispatcher"))
    assert answer.status_code == 200 and len(answer.json()) == 3


# 5. statement_timeout

def test_request_kinds_get_their_timeouts(base_settings: Settings) -> None:
    s = base_settings.model_copy(update={"statement_timeout_read_ms": 1,
                                         "statement_timeout_write_ms": 2,
                                         "statement_timeout_long_ms": 3})
    assert statement_timeout("GET", "/api/v1/grids", s) == ("read", 1)
    assert statement_timeout("GET", "/api/v1/plans/4", s) == ("read", 1)
    assert statement_timeout("POST", "/api/v1/events", s) == ("write", 2)
    assert statement_timeout("POST", "/api/v1/import/grids", s) == ("long", 3)
    assert statement_timeout("POST", "/api/v1/plans/4/edits", s) == ("long", 3)


def test_a_statement_past_the_timeout_is_504(demo_engine: Engine, demo_session: Session,
                                             base_settings: Settings) -> None:
    with limited(demo_engine, None, base_settings, statement_timeout_read_ms=1) as client:
        answer = client.get("/api/v1/grids", params={"limit": 5000})
        assert answer.status_code == 504, answer.text
        assert answer.json()["code"] == "timeout"
        assert "GRIDMAP_STATEMENT_TIMEOUT_READ_MS" in answer.json()["detail"]
    with limited(demo_engine, demo_session, base_settings, statement_timeout_read_ms=1,
                 statement_timeout_write_ms=60_000) as client:  # the read limit only reads
        answer = client.post("/api/v1/events", headers=auth(demo_session, "dispatcher"),
                             json={"category": "noise", "channel": "12345",
                                   "location": {"lon": 119.215, "lat": 34.60}})
        assert answer.status_code == 201, answer.text


# 6. rate limits

def test_a_flood_of_wrong_keys_is_429_without_a_key_check(
        engine: Engine, session: Session, base_settings: Settings,
        caplog: pytest.LogCaptureFixture) -> None:
    good = auth(session, "viewer")
    wrong = {"Authorization": f"Bearer {WRONG_KEY}"}
    with caplog.at_level(logging.WARNING, "gridmap.api"), \
            limited(engine, session, base_settings, rate_limit_wrong_keys="3/minute") as client:
        assert [client.get("/api/v1/grids", headers=wrong).status_code
                for _ in range(3)] == [401] * 3
        answer = client.get("/api/v1/grids", headers=wrong)
        assert answer.status_code == 429 and answer.json()["code"] == "rate_limited"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        # even a good key is not looked at from this address now; no key still reads
        assert client.get("/api/v1/grids", headers=good).status_code == 429
        assert client.get("/open311/v2/requests.json",
                          params={"api_key": WRONG_KEY}).status_code == 429
        assert client.get("/api/v1/grids").status_code == 200
    assert "wrong API key from testclient" in caplog.text
    assert WRONG_KEY not in caplog.text and "thisisnotakey" not in caplog.text


def test_login_attempts_are_limited_per_address(engine: Engine, session: Session,
                                                base_settings: Settings) -> None:
    key = keys.create_key(session, role="viewer")
    with limited(engine, session, base_settings, rate_limit_logins="2/minute") as client:
        tries = [client.post("/map/login", data={"key": WRONG_KEY}, follow_redirects=False)
                 for _ in range(2)]
        assert [t.status_code for t in tries] == [401, 401]
        answer = client.post("/map/login", data={"key": key}, follow_redirects=False,
                             headers={"Accept": "text/html"})
        assert answer.status_code == 429 and "Retry-After" in answer.headers
        assert "请求过于频繁" in answer.text


def test_writes_are_limited_per_key(engine: Engine, session: Session,
                                    base_settings: Settings) -> None:
    first, second = auth(session, "dispatcher"), auth(session, "dispatcher")
    with limited(engine, session, base_settings, rate_limit_writes="2/minute") as client:
        # invalid bodies write nothing but still count as writes of the key
        assert [client.post("/api/v1/events", json={}, headers=first).status_code
                for _ in range(2)] == [422, 422]
        answer = client.post("/api/v1/events", json={}, headers=first)
        assert answer.status_code == 429 and "GRIDMAP_RATE_LIMIT_WRITES" in answer.json()["detail"]
        assert client.get("/api/v1/events", headers=first).status_code == 200  # reads go on
        assert client.post("/api/v1/events", json={}, headers=second).status_code == 422


def test_bad_rate_limit_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(rate_limit_writes="lots")
