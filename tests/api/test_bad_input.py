"""Hostile input found by fuzzing (schemathesis) answers 4xx, never 500."""

from __future__ import annotations

import pytest

from gis.access import keys
from tests.builders import make_grid, make_region


@pytest.fixture
def headers(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {keys.create_key(session, role='admin')}"}


@pytest.mark.parametrize("url", [
    "/api/v1/grids?community=%00",
    "/api/v1/events?grid=a%00b",
    "/api/v1/grids?offset=945918053437761147371520",
])
def test_nul_characters_and_huge_offsets_are_422(client, headers, url: str) -> None:
    res = client.get(url, headers=headers)
    assert res.status_code == 422, res.text
    assert res.json()["code"] == "invalid_input"


def test_nul_in_a_json_body_is_422(client, headers) -> None:
    res = client.post("/api/v1/events", headers=headers, json={
        "category": "noise", "channel": "12345", "description": "a\u0000b",
        "address": "幸福路1号"})
    assert res.status_code == 422, res.text


def test_a_carriage_return_in_a_scope_is_just_an_unknown_scope(client, session,
                                                               headers) -> None:
    region = make_region(session)
    make_grid(session, community_code=region.code)
    res = client.get("/api/v1/qa", params={"scope": "K\r'; SELECT 1/0; --"}, headers=headers)
    assert res.status_code < 500, res.text


@pytest.mark.parametrize("url", ["/api/v1/service-circles?facility=286188285367",
                                 "/api/v1/plans/99999999999"])
def test_ids_past_the_integer_range_are_422(client, headers, url: str) -> None:
    assert client.get(url, headers=headers).status_code == 422
