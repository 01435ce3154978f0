"""Page writes: the login cookie writes only with its CSRF token, from this site."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.deps import CSRF_HEADER, SESSION_COOKIE
from gis.access import keys
from gis.core.settings import Settings
from tests.builders import make_grid, make_region, square

EVENT = {"category": "sanitation", "location": {"lon": 119.205, "lat": 34.605}}


def _page_token(client: TestClient, session: Session) -> str:
    """Log in as a dispatcher and read the token the overview page carries."""
    community = make_region(session, geom=square(119.2, 34.6, 0.02)).code
    make_grid(session, community_code=community, geom=square(119.20, 34.60, 0.01))
    key = keys.create_key(session, role="dispatcher")
    login = client.post("/map/login", data={"key": key, "next": "/map"},
                        follow_redirects=False)
    assert login.status_code == 303
    found = re.search(r'<meta name="gm-csrf" content="([^"]*)">', client.get("/map").text)
    assert found is not None
    return found.group(1)


def test_cookie_and_token_write(client: TestClient, session: Session) -> None:
    token = _page_token(client, session)
    assert token
    posted = client.post("/api/v1/events", json=EVENT, headers={CSRF_HEADER: token})
    assert posted.status_code == 201, posted.text


def test_cookie_without_token_cannot_write(client: TestClient, session: Session) -> None:
    _page_token(client, session)
    assert client.post("/api/v1/events", json=EVENT).status_code == 401


def test_wrong_or_foreign_token_is_403(client: TestClient, session: Session,
                                       base_settings: Settings) -> None:
    token = _page_token(client, session)
    other = keys.csrf_token("s1.1.2.x", keys.server_secret(base_settings))
    for headers in ({CSRF_HEADER: ""}, {CSRF_HEADER: other}, {CSRF_HEADER: token[:-2] + "AA"},
                    {CSRF_HEADER: token, "Origin": "http://evil.example"}):
        answer = client.post("/api/v1/events", json=EVENT, headers=headers)
        assert answer.status_code == 403, headers
        assert "刷新页面" in answer.json()["detail"]


def test_same_origin_header_is_accepted(client: TestClient, session: Session) -> None:
    token = _page_token(client, session)
    answer = client.post("/api/v1/events", json=EVENT,
                         headers={CSRF_HEADER: token, "Origin": "http://testserver"})
    assert answer.status_code == 201


def test_token_is_bound_to_the_session(client: TestClient, session: Session) -> None:
    token = _page_token(client, session)
    client.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE] + "x")
    assert client.post("/api/v1/events", json=EVENT,
                       headers={CSRF_HEADER: token}).status_code == 403


def test_anonymous_page_has_an_empty_token_and_the_shell(client: TestClient) -> None:
    page = client.get("/map").text
    assert '<meta name="gm-csrf" content="">' in page
    assert all(label in page for label in ("网格总览", "事件调度", "服务圈", "网格调整", "驾驶舱"))
    assert "attributionControl.setPrefix" in page  # gridmap's own, not Leaflet's flag link
