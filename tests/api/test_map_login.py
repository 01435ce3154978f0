"""Map-page login: the key form, the signed cookie, page roles, logout and the CSRF rule."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.deps import SESSION_COOKIE
from gis.access import keys
from gis.core.settings import Settings
from gis.models import ApiKey
from tests.builders import make_grid, make_region, square


def _login(client: TestClient, key: str, next_url: str = "/map"):  # type: ignore[no-untyped-def]
    return client.post("/map/login", data={"key": key, "next": next_url},
                       follow_redirects=False)


def _logged_in(client: TestClient, session: Session, role: str,
               region: str | None = None) -> str:
    key = keys.create_key(session, role=role, region_code=region)
    assert _login(client, key).status_code == 303
    return key


@pytest.fixture
def area(session: Session) -> str:
    community = make_region(session, geom=square(119.2, 34.6, 0.02)).code
    make_grid(session, community_code=community, geom=square(119.20, 34.60, 0.01))
    return community


def test_login_form_is_chinese_and_offline(client: TestClient) -> None:
    page = client.get("/map/login", params={"next": "/map/qa?scope=1"})
    assert page.status_code == 200
    assert "密钥登录" in page.text and 'name="key"' in page.text
    assert 'value="/map/qa?scope=1"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no basemap


def test_good_key_sets_a_signed_httponly_strict_cookie(client: TestClient,
                                                        session: Session) -> None:
    key = keys.create_key(session, role="dispatcher")
    answer = _login(client, key, "/map/dispatch/list")
    assert answer.status_code == 303 and answer.headers["location"] == "/map/dispatch/list"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower() and "path=/" in cookie.lower()
    assert key.split("_", 2)[2] not in cookie and key not in cookie  # never the key itself
    page = client.get("/map/dispatch/list")
    assert page.status_code == 200 and "未结事件清单" in page.text


@pytest.mark.parametrize("bad", ["gm_00000000_nope", "not a key", " "])
def test_bad_key_shows_the_form_again_without_a_cookie(client: TestClient, bad: str) -> None:
    answer = _login(client, bad)
    assert answer.status_code == 401 and "密钥无效" in answer.text
    assert "set-cookie" not in answer.headers


def test_next_never_leaves_the_site(client: TestClient, session: Session) -> None:
    key = keys.create_key(session, role="viewer")
    for target in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)"):
        assert _login(client, key, target).headers["location"] == "/map"


def test_anonymous_page_redirects_to_login_with_next(client: TestClient, area: str) -> None:
    answer = client.get("/map/qa", params={"scope": area}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/map/login?next=/map/qa%3Fscope%3D{area}"
    dispatch = client.get("/map/dispatch", params={"event": "E1"}, follow_redirects=False)
    assert dispatch.status_code == 303
    assert dispatch.headers["location"].startswith("/map/login?next=/map/dispatch")


@pytest.mark.parametrize(("role", "qa", "dispatch"), [
    ("viewer", 403, 403), ("grid_worker", 403, 200), ("dispatcher", 403, 200),
    ("planner", 200, 403), ("admin", 200, 200)])
def test_pages_by_role(client: TestClient, session: Session, area: str, role: str, qa: int,
                       dispatch: int) -> None:
    _logged_in(client, session, role)
    qa_page = client.get("/map/qa", params={"scope": area})
    assert qa_page.status_code == qa, qa_page.text
    listing = client.get("/map/dispatch/list")
    assert listing.status_code == dispatch
    if dispatch == 403:  # a page for a person: why, who, and a way to log in again
        assert "无权查看" in listing.text and f"（{role}）" in listing.text
        assert 'href="/map/login?next=/map/dispatch/list"' in listing.text


def test_region_planner_sees_only_its_qa(client: TestClient, session: Session,
                                         area: str) -> None:
    other = make_region(session).code
    _logged_in(client, session, "planner", region=area)
    assert client.get("/map/qa").status_code == 200  # defaults to its own region
    refused = client.get("/map/qa", params={"scope": other})
    assert refused.status_code == 403 and "不在您的辖区" in refused.text


def test_logout_clears_the_cookie(client: TestClient, session: Session) -> None:
    _logged_in(client, session, "dispatcher")
    assert client.get("/map/dispatch/list").status_code == 200
    out = client.post("/map/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/map/login"
    assert f'{SESSION_COOKIE}=""' in out.headers["set-cookie"] or \
        "max-age=0" in out.headers["set-cookie"].lower()
    assert client.get("/map/dispatch/list", follow_redirects=False).status_code == 303


def test_cookie_reads_but_never_writes_json_apis(client: TestClient, session: Session) -> None:
    _logged_in(client, session, "dispatcher")
    assert client.get("/api/v1/events").status_code == 200  # a GET of data: allowed
    event = {"category": "sanitation", "location": {"lon": 119.205, "lat": 34.605}}
    posted = client.post("/api/v1/events", json=event)
    assert posted.status_code == 401 and posted.json()["code"] == "unauthenticated"
    assert client.post("/api/v1/events/E1/transitions",
                       json={"to": "accepted"}).status_code == 401


def test_header_wins_over_cookie(client: TestClient, session: Session) -> None:
    _logged_in(client, session, "dispatcher")
    viewer = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    assert client.get("/map/dispatch/list", headers=viewer).status_code == 403
    bad = client.get("/api/v1/events", headers={"Authorization": "Bearer gm_x_y"})
    assert bad.status_code == 401


def _token(session: Session, settings: Settings, *, hours: float = 1.0,
           now: float | None = None, role: str = "dispatcher") -> tuple[str, int]:
    key = keys.create_key(session, role=role)
    caller = keys.caller_from_token(session, key)
    return keys.create_session_token(caller, keys.server_secret(settings), hours=hours,
                                     now=now), int(caller.key_id or 0)


def test_bad_expired_or_revoked_cookie_is_anonymous(client: TestClient, session: Session,
                                                    base_settings: Settings) -> None:
    expired, _ = _token(session, base_settings, now=time.time() - 7200)
    good, key_id = _token(session, base_settings)
    forged = good.rsplit(".", 1)[0] + ".AAAA"
    other_id = good.replace(f".{key_id}.", f".{key_id + 1000}.", 1)
    for cookie in ("garbage", "s1.1.2.3", expired, forged, other_id):
        client.cookies.set(SESSION_COOKIE, cookie)
        overview = client.get("/map")
        assert overview.status_code == 200 and "登录查看楼栋详情" in overview.text
        assert client.get("/map/dispatch/list", follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, good)
    assert client.get("/map/dispatch/list").status_code == 200
    session.get(ApiKey, key_id).revoked_at = datetime.now(UTC)  # type: ignore[union-attr]
    session.flush()
    assert client.get("/map/dispatch/list", follow_redirects=False).status_code == 303


def test_logged_in_overview_offers_logout(client: TestClient, session: Session) -> None:
    _logged_in(client, session, "viewer")
    page = client.get("/map").text
    assert "退出登录" in page and "登录查看楼栋详情" not in page


def test_server_secret_is_made_once_and_private(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path)
    first = keys.server_secret(settings)
    assert keys.server_secret(settings) == first and len(first) == 64
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
    assert keys.server_secret(Settings(home=tmp_path, secret_key="s3cret")) == b"s3cret"


def test_bad_header_on_the_login_page_is_no_redirect_loop(client: TestClient) -> None:
    answer = client.get("/map/login", headers={"Authorization": "Bearer gm_x_y"},
                        follow_redirects=False)
    assert answer.status_code == 401 and "需要登录" in answer.text


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_unknown_map_page_is_a_chinese_page_for_a_browser(client: TestClient) -> None:
    answer = client.get("/map/no-such-page", headers=BROWSER)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "未找到" in answer.text and 'href="/map"' in answer.text
    # programs (and every /api path) keep the JSON answer
    assert client.get("/map/no-such-page").json() == {"detail": "Not Found"}
    assert client.get("/api/v1/no-such-thing", headers=BROWSER).json() == {"detail": "Not Found"}


def test_bad_map_parameter_is_a_chinese_page_for_a_browser(client: TestClient,
                                                           session: Session) -> None:
    _logged_in(client, session, "dispatcher")
    answer = client.get("/map/dispatch/list?page=lots", headers=BROWSER)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "请求有误" in answer.text and "page" in answer.text
    assert client.get("/map/dispatch/list?page=lots").json()["code"] == "invalid_input"
