"""One settings object: an app made with ``create_app(Settings(...))`` answers by those
values (event time limits, household ranges, page size) even when the environment, and so
``get_settings()``, says otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.deps import get_session
from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings, get_settings
from tests import dbs
from tests.builders import make_building, make_grid, make_region, make_worker, square

CUSTOM = {"event_time_limits": {"noise": 3.0}, "load_residential_max": 800,
          "max_page_size": 2}


@pytest.fixture
def custom_client(engine: Engine, session: Session, base_settings: Settings,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app made with CUSTOM settings while the environment says something else."""
    monkeypatch.setenv("GRIDMAP_EVENT_TIME_LIMITS", '{"noise": 99}')
    monkeypatch.setenv("GRIDMAP_LOAD_RESIDENTIAL_MAX", "600")
    monkeypatch.setenv("GRIDMAP_MAX_PAGE_SIZE", "5000")
    get_settings.cache_clear()
    assert get_settings().event_time_limits == {"noise": 99}  # what the environment says
    settings = dbs.settings_for(engine, base_settings).model_copy(update=CUSTOM)
    app = create_app(settings)
    app.dependency_overrides[get_session] = lambda: session
    try:
        with TestClient(app) as client:
            yield client
    finally:
        get_settings.cache_clear()


@pytest.fixture
def grids(session: Session) -> str:
    community = make_region(session).code
    big = make_grid(session, community_code=community, geom=square(119.20, 34.60, 0.01))
    make_grid(session, community_code=community, geom=square(119.21, 34.60, 0.01))
    make_grid(session, community_code=community, geom=square(119.22, 34.60, 0.01))
    make_worker(session, name="赵六", grids=[big])
    make_building(session, grid=big, households=700, community_code=community)
    return community


def _auth(session: Session, role: str) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def test_event_due_time_follows_the_apps_settings(custom_client: TestClient, session: Session,
                                                  grids: str) -> None:
    response = custom_client.post("/api/v1/events", headers=_auth(session, "dispatcher"), json={
        "category": "noise", "channel": "12345", "reported_at": "2026-06-01T08:00:00+08:00",
        "location": {"lon": 119.205, "lat": 34.605}})
    assert response.status_code == 201, response.text
    due = datetime.fromisoformat(response.json()["properties"]["due_at"])
    assert due == datetime.fromisoformat("2026-06-01T11:00:00+08:00")  # 3 h, not 99 nor 24


def test_household_range_follows_the_apps_settings(custom_client: TestClient,
                                                   session: Session, grids: str) -> None:
    body = custom_client.get("/api/v1/grids/load", params={"scope": grids},
                             headers=_auth(session, "viewer")).json()
    assert body["rules"]["residential_max"] == 800
    statuses = {row["households"]: row["status"] for row in body["grids"]}
    assert statuses[700] == "ok"  # oversized under the environment's 600 and the default 500


def test_page_size_follows_the_apps_settings(custom_client: TestClient, grids: str) -> None:
    assert custom_client.get("/api/v1/grids", params={"limit": 2}).status_code == 200
    refused = custom_client.get("/api/v1/grids", params={"limit": 3})
    assert refused.status_code == 422
    assert "between 1 and 2" in refused.json()["detail"]
