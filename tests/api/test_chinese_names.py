"""The API keeps English codes and takes the Chinese names of categories, channels and states
as input too (one parser: gis.events.categories.code_from_name)."""

from __future__ import annotations

import pytest

from gis.events import categories, workflow
from tests.api.test_events import _auth, area  # noqa: F401 - the fixture


@pytest.mark.parametrize("value, code", [("环境卫生", "sanitation"), (" 噪音扰民 ", "noise"),
                                         ("sanitation", "sanitation"), ("不存在", "不存在")])
def test_category_names_become_codes(value, code):
    assert categories.category_code(value) == code


def test_channel_and_state_names_become_codes():
    assert categories.channel_code("网格巡查") == "patrol"
    assert categories.channel_code("12345热线") == "12345"
    assert workflow.state_code("受理") == "accepted"
    assert workflow.state_code("closed") == "closed"


def test_intake_list_and_transition_take_chinese_names(client, session, area):  # noqa: F811
    auth = _auth(session, "dispatcher")
    created = client.post("/api/v1/events", headers=auth, json={
        "category": "环境卫生", "channel": "网格巡查", "description": "垃圾",
        "location": {"lon": 119.205, "lat": 34.605}})
    assert created.status_code == 201, created.text
    props = created.json()["properties"]
    assert props["category"] == "sanitation" and props["channel"] == "patrol"
    listed = client.get("/api/v1/events", params={"category": "环境卫生", "status": "上报"},
                        headers=auth).json()
    assert [f["properties"]["code"] for f in listed["features"]] == [props["code"]]
    moved = client.post(f"/api/v1/events/{props['code']}/transitions", headers=auth,
                        json={"to": "受理"})
    assert moved.status_code == 200 and moved.json()["properties"]["status"] == "accepted"


def test_an_unknown_name_is_refused_with_the_valid_ones(client, session, area):  # noqa: F811
    answer = client.post("/api/v1/events", headers=_auth(session, "dispatcher"), json={
        "category": "卫生环境", "location": {"lon": 119.205, "lat": 34.605}})
    assert answer.status_code == 422 and "环境卫生" in answer.json()["detail"]
