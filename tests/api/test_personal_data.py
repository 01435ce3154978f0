"""Personal numbers a caller types into free text stay masked on every output, for every role.

An event whose description, address, reporter and timeline note hold an ID number, a mobile
phone, a landline and a bank card is read through every route that shows it (API list, one
event with its timeline and duplicate hints, the answer to a workflow action, the dispatcher's
pages, the export, Open311) by every role: none shows a number in clear unless revealed, and a
reveal is audited.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys, privacy
from tests.builders import SUBDISTRICT, make_grid, make_region, make_worker, square

ROLES = ("admin", "planner", "dispatcher", "grid_worker", "viewer")
INTAKE = ("admin", "dispatcher", "grid_worker")
ID_NUMBER, MOBILE, CARD, LANDLINE = ("32070619900307123X", "139-8765-4321",
                                     "6222 0277 1122 3344 556", "0518-85556677")
CLEAR = {  # what gives each number away, however it is spaced
    "id": re.compile(r"19900307"), "mobile": re.compile(r"8765\D{0,3}4321"),
    "card": re.compile(r"1122\D{0,3}3344"), "landline": re.compile(r"8555\D{0,3}6677")}
TEXT = f"身份证{ID_NUMBER}，电话{MOBILE}，座机{LANDLINE}，卡号{CARD}"


@pytest.fixture
def area(session: Session) -> str:
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013003", name="南社区", parent_code=SUBDISTRICT)
    grid = make_grid(session, code="G-P1", community_code="320706013003",
                     geom=square(119.20, 34.60, 0.01))
    make_worker(session, name="赵六", grids=[grid])
    return grid.code


def _auth(session: Session, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"}


def leaks(answer: str) -> list[str]:
    """Which of the typed numbers ``answer`` shows in clear."""
    return [name for name, pattern in CLEAR.items() if pattern.search(answer)]


def test_the_check_finds_numbers_in_clear() -> None:
    assert leaks(TEXT) == ["id", "mobile", "card", "landline"]
    assert leaks(privacy.mask_in_text(TEXT) or "") == []


@pytest.mark.parametrize(("typed", "masked"), [
    ("320706199003071234的", "320706********1234的"),
    ("旧证320706900307123号", "旧证320706******123号"),
    ("+86 139 8765 4321", "139****4321"), ("8613987654321", "139****4321"),
    ("(0518)85556677", "(0518)-****6677"), ("6222027711223344556", "***************4556"),
    ("6222 0277 1122 3344", "************3344"), ("2024-05-01 12号楼 热线12345", None),
])
def test_numbers_in_text_are_masked_and_nothing_else(typed: str, masked: str | None) -> None:
    assert privacy.mask_in_text(typed) == (masked or typed)


def _post_events(client: TestClient, session: Session) -> str:
    """Two events 10 m apart (each the other's duplicate hint) and a note on the first."""
    dispatcher = _auth(session, "dispatcher")
    codes = []
    for lon in (119.205, 119.2051):
        answer = client.post("/api/v1/events", headers=dispatcher, json={
            "category": "sanitation", "description": TEXT, "address": f"朝阳路 {MOBILE}",
            "channel": "12345", "reporter": {"name": "王小明", "phone": "13987654321"},
            "location": {"lon": lon, "lat": 34.605}})
        assert answer.status_code == 201, answer.text
        assert leaks(answer.text) == [], "the intake answer"
        codes.append(answer.json()["id"])
    answer = client.post(f"/api/v1/events/{codes[0]}/transitions", headers=dispatcher,
                         json={"to": "accepted", "note": f"已回电 {MOBILE}，核对{ID_NUMBER}"})
    assert answer.status_code == 200 and leaks(answer.text) == [], answer.text
    return codes[0]


def _reads(code: str, role: str) -> dict[str, str]:
    reads = {"list": "/api/v1/events", "one": f"/api/v1/events/{code}",
             "export": "/api/v1/export/events",
             "open311": f"/open311/v2/requests/{code}.json",
             "open311 list": "/open311/v2/requests.json"}
    if role in INTAKE:
        reads |= {"dispatch page": f"/map/dispatch?event={code}",
                  "dispatch list": "/map/dispatch/list"}
    return reads


def test_every_route_masks_typed_numbers_for_every_role(client: TestClient, session: Session,
                                                        area: str) -> None:
    code = _post_events(client, session)
    for role in ROLES:
        headers = _auth(session, role)
        for what, url in _reads(code, role).items():
            answer = client.get(url, headers=headers)
            assert answer.status_code == 200, (role, what, answer.text[:200])
            assert leaks(answer.text) == [], (role, what)
    one = client.get(f"/api/v1/events/{code}", headers=_auth(session, "viewer")).json()
    assert one["timeline"][-1]["note"] == "已回电 139****4321，核对320706********123X"
    assert one["duplicates"] and one["properties"]["reporter_phone"] == "139****4321"
    assert session.scalar(text("SELECT count(*) FROM audit_log WHERE action LIKE 'reveal%'")) == 0


def test_a_reveal_is_asked_for_allowed_and_audited(client: TestClient, session: Session,
                                                   area: str) -> None:
    code = _post_events(client, session)
    for url in (f"/api/v1/events/{code}?", "/api/v1/events?", f"/map/dispatch?event={code}&",
                "/api/v1/export/events?"):
        shown = client.get(url + "reveal=true", headers=_auth(session, "dispatcher"))
        assert shown.status_code == 200 and leaks(shown.text) == list(CLEAR), url
        refused = client.get(url + "reveal=true", headers=_auth(session, "planner"))
        assert refused.status_code == 403, url
    audit = session.execute(text("SELECT action, target, details FROM audit_log "
                                 "WHERE action NOT LIKE 'import%' ORDER BY id")).all()
    assert [(a, t) for a, t, _ in audit] == [
        ("reveal_personal_data", f"event:{code}"), ("reveal_personal_data", "events"),
        ("reveal_personal_data", f"event:{code}"), ("export_personal_data", "events")]
    assert audit[-1].details == {"rows": 2, "scope": None, "origin": "testclient",
                                 "masked": False}
    assert not any(leaks(str(row)) for row in audit)
