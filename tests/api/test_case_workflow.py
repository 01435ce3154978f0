"""Case handling over HTTP: the moves a role may make (listed by ``/actions``, enforced by
``/transitions``), 吹哨 refused at the top and on a second click, duplicates that follow their
original, Chinese names and Beijing times in the timeline, the case panel and its notices."""

from __future__ import annotations

import re

import pytest
from shapely import Point

from gis.access import keys
from tests.builders import SUBDISTRICT, make_event, make_grid, make_region, square

API = "/api/v1/events"


@pytest.fixture
def case(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013003", name="南社区", parent_code=SUBDISTRICT)
    grid = make_grid(session, code="G-C1", community_code="320706013003",
                     geom=square(119.20, 34.60, 0.01))
    for code in ("EV-ORIG", "EV-DUP", "EV-OTHER"):
        make_event(session, code=code, category="noise", grid=grid,
                   community_code="320706013003", geom=Point(119.2050, 34.6050))
    return grid


def _auth(session, role: str, label: str | None = None) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role, label=label)}"}


def _move(client, auth, code, to, note=None):
    return client.post(f"{API}/{code}/transitions", headers=auth, json={"to": to, "note": note})


def test_actions_list_what_the_role_may_do_and_transitions_enforce_it(client, session, case):
    worker, dispatcher = _auth(session, "grid_worker"), _auth(session, "dispatcher")
    assert _move(client, dispatcher, "EV-ORIG", "accepted").status_code == 200
    offered = client.get(f"{API}/EV-ORIG/actions", headers=worker).json()
    assert offered["transitions"] == [] and offered["status_label"] == "受理"
    refused = _move(client, worker, "EV-ORIG", "dispatched")
    assert refused.status_code == 403 and "grid_worker" in refused.json()["detail"]
    mine = client.get(f"{API}/EV-ORIG/actions", headers=dispatcher).json()
    assert [(t["to"], t["label"]) for t in mine["transitions"]] == [
        ("dispatched", "派遣"), ("returned", "退回")]
    assert [t["needs_note"] for t in mine["transitions"]] == [False, True]
    assert _move(client, dispatcher, "EV-ORIG", "dispatched").status_code == 200
    assert [t["to"] for t in client.get(f"{API}/EV-ORIG/actions", headers=worker).json()[
        "transitions"]] == ["in_progress", "returned"]
    assert _move(client, worker, "EV-ORIG", "in_progress").status_code == 200
    assert _move(client, worker, "EV-ORIG", "resolved").status_code == 200
    assert _move(client, worker, "EV-ORIG", "verified").status_code == 403  # not one's own
    assert _move(client, dispatcher, "EV-ORIG", "verified").status_code == 200


def test_escalation_is_refused_at_the_top_and_on_a_second_click(client, session, case):
    auth = _auth(session, "dispatcher")
    first = client.post(f"{API}/EV-ORIG/escalate", headers=auth, json={"from_level": "grid"})
    assert first.status_code == 200 and first.json()["properties"]["escalation_level"] == \
        "community"
    again = client.post(f"{API}/EV-ORIG/escalate", headers=auth, json={"from_level": "grid"})
    assert again.status_code == 409 and "未再次升级" in again.json()["detail"]
    for level in ("community", "subdistrict"):
        assert client.post(f"{API}/EV-ORIG/escalate", headers=auth,
                           json={"from_level": level}).status_code == 200
    top = client.post(f"{API}/EV-ORIG/escalate", headers=auth, json={})
    assert top.status_code == 409 and "最高层级" in top.json()["detail"]
    actions = client.get(f"{API}/EV-ORIG/actions", headers=auth).json()
    assert actions["escalate_to"] is None and "职能部门" in actions["escalate_refused"]
    timeline = client.get(f"{API}/EV-ORIG", headers=auth).json()["timeline"]
    assert [e["note"] for e in timeline if "吹哨" in (e["note"] or "")] == [
        "吹哨：网格 → 社区", "吹哨：社区 → 街道", "吹哨：街道 → 职能部门"]


def test_a_duplicate_follows_its_original_to_closure(client, session, case):
    auth = _auth(session, "dispatcher")
    marked = client.post(f"{API}/EV-DUP/duplicate-of", headers=auth,
                         json={"original": "EV-ORIG", "note": "同一工地"})
    assert marked.status_code == 200, marked.text
    assert marked.json()["properties"]["duplicate_of"] == "EV-ORIG"
    assert client.get(f"{API}/EV-ORIG", headers=auth).json()["marked_duplicates"] == ["EV-DUP"]
    own = _move(client, auth, "EV-DUP", "accepted")
    assert own.status_code == 409 and "EV-ORIG" in own.json()["detail"]
    assert client.get(f"{API}/EV-DUP/actions", headers=auth).json()["transitions"] == []
    for to in ("accepted", "dispatched", "in_progress", "resolved", "verified", "closed"):
        assert _move(client, auth, "EV-ORIG", to).status_code == 200, to
    dup = client.get(f"{API}/EV-DUP", headers=auth).json()
    assert dup["properties"]["status"] == "closed" and dup["properties"]["closed_at"]
    assert [e["to_status"] for e in dup["timeline"]][-6:] == [
        "accepted", "dispatched", "in_progress", "resolved", "verified", "closed"]
    assert all(e["note"] == "随原件 EV-ORIG 处置" for e in dup["timeline"][-6:])
    assert client.get(f"{API}/EV-OTHER", headers=auth).json()["properties"]["status"] == \
        "reported"  # only duplicates follow


def test_duplicate_marking_refuses_loops_and_chains(client, session, case):
    auth = _auth(session, "dispatcher")
    assert client.post(f"{API}/EV-DUP/duplicate-of", headers=auth,
                       json={"original": "EV-DUP"}).status_code == 422
    assert client.post(f"{API}/EV-DUP/duplicate-of", headers=auth,
                       json={"original": "EV-ORIG"}).status_code == 200
    chained = client.post(f"{API}/EV-OTHER/duplicate-of", headers=auth,
                          json={"original": "EV-DUP"})
    assert chained.status_code == 409 and "EV-ORIG" in chained.json()["detail"]
    back = client.post(f"{API}/EV-ORIG/duplicate-of", headers=auth,
                       json={"original": "EV-OTHER"})
    assert back.status_code == 409
    assert client.post(f"{API}/EV-OTHER/duplicate-of", headers=_auth(session, "grid_worker"),
                       json={"original": "EV-ORIG"}).status_code == 403


def test_timeline_names_people_in_chinese_in_beijing_time(client, session, case):
    auth = _auth(session, "dispatcher", label="街道值班")
    _move(client, auth, "EV-ORIG", "accepted", note="已受理")
    entry = client.get(f"{API}/EV-ORIG", headers=auth).json()["timeline"][-1]
    assert entry["actor"].startswith("key:") and entry["actor_label"] == "调度员·街道值班"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", entry["at_local"])
    assert entry["at"].endswith("+00:00")


def test_case_panel_offers_the_roles_buttons(client, session, case):
    worker = client.get("/map/dispatch/case", params={"event": "EV-ORIG"},
                        headers=_auth(session, "grid_worker")).text
    dispatcher = client.get("/map/dispatch/case", params={"event": "EV-ORIG"},
                            headers=_auth(session, "dispatcher")).text
    buttons = lambda page: re.findall(r'data-act="move"[^>]*>([^<]+)<', page)  # noqa: E731
    assert buttons(worker) == ["受理"] and buttons(dispatcher) == ["受理", "退回"]
    assert "吹哨（升至社区）" in dispatcher and "标记为重复件" in dispatcher
    assert "标记为重复件" not in worker
    assert "疑似重复" in dispatcher and "EV-DUP" in dispatcher  # the API's duplicate hints


def test_a_missing_event_page_is_a_chinese_notice(client, session, case):
    page = client.get("/map/dispatch", params={"event": "EV-NONE"},
                      headers={**_auth(session, "dispatcher"), "Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text and "事件 EV-NONE 不存在" in page.text
