"""Households and residents over HTTP: keys, masking by role, jurisdiction, audit rows."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access import keys
from gis.models import AuditLog
from tests.builders import (
    make_building,
    make_grid,
    make_household,
    make_region,
    make_resident,
)

ID_NUMBER, PHONE, NAME = "320706199001011234", "13787654321", "王小明"
HOME, ELSEWHERE = "320706013001", "320706013002"


@pytest.fixture
def building(session: Session):  # type: ignore[no-untyped-def]
    make_region(session, code=HOME)
    make_region(session, code=ELSEWHERE)
    grid = make_grid(session, code="G1", community_code=HOME)
    house = make_building(session, code="B1", grid=grid, community_code=HOME)
    home = make_household(session, building=house, head_name=NAME, phone=PHONE)
    make_resident(session, building=house, household=home, name=NAME, id_number=ID_NUMBER,
                  phone=PHONE)
    return house


def _auth(session: Session, role: str, region: str | None = HOME) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role, region_code=region)}"}


def _audits(session: Session) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(
        AuditLog.action == "reveal_personal_data")))


def test_anonymous_gets_401(client: TestClient, building: object) -> None:
    assert client.get("/api/v1/residents", params={"building": "B1"}).status_code == 401
    assert client.get("/api/v1/buildings/B1/households").status_code == 401


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_masked_for_viewer_and_planner(client: TestClient, session: Session, building: object,
                                       role: str) -> None:
    body = client.get("/api/v1/residents", params={"building": "B1"},
                      headers=_auth(session, role)).json()
    person = body["items"][0]
    assert person["id_number"] == "320706********1234"
    assert person["phone"] == "137****4321"
    assert person["name"] == "王**"
    assert person["birth_date"] == "1990-**-**" and person["birth_year"] == 1990
    household = client.get("/api/v1/buildings/B1/households",
                           headers=_auth(session, role)).json()["items"][0]
    assert (household["head_name"], household["phone"]) == ("王**", "137****4321")
    assert household["residents"] == 1
    assert _audits(session) == []


def test_revealed_for_dispatcher_in_jurisdiction_and_audited(
        client: TestClient, session: Session, building: object) -> None:
    auth = _auth(session, "dispatcher")
    masked = client.get("/api/v1/residents", params={"grid": "G1"}, headers=auth)
    assert masked.json()["items"][0]["id_number"] == "320706********1234"  # masked by default
    assert _audits(session) == []
    response = client.get("/api/v1/residents", params={"grid": "G1", "reveal": "true"},
                          headers=auth)
    person = response.json()["items"][0]
    assert (person["id_number"], person["phone"], person["name"]) == (ID_NUMBER, PHONE, NAME)
    assert person["birth_date"] == "1990-01-01"
    [audit] = _audits(session)
    assert audit.target == "grid:G1" and audit.details == {"kind": "residents", "rows": 1}
    assert audit.actor.startswith("key:") and audit.actor.endswith(":dispatcher")
    # the audit row names who and what, never the values it revealed
    assert not {ID_NUMBER, PHONE, NAME} & set(str(audit.details).split("'"))


def test_outside_jurisdiction_is_403(client: TestClient, session: Session,
                                     building: object) -> None:
    for role in ("dispatcher", "viewer"):
        response = client.get("/api/v1/residents", params={"building": "B1"},
                              headers=_auth(session, role, ELSEWHERE))
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert PHONE not in response.text
    # a key for the whole subdistrict covers its communities
    wide = client.get("/api/v1/buildings/B1/households", params={"reveal": "true"},
                      headers=_auth(session, "grid_worker", None))
    assert wide.json()["items"][0]["phone"] == PHONE


@pytest.mark.parametrize("role", ["viewer", "planner"])
def test_reveal_by_wrong_role_is_403(client: TestClient, session: Session, building: object,
                                     role: str) -> None:
    response = client.get("/api/v1/residents", params={"building": "B1", "reveal": "true"},
                          headers=_auth(session, role))
    assert response.status_code == 403
    assert role in response.json()["detail"] and PHONE not in response.text
    assert _audits(session) == []


def test_bad_requests(client: TestClient, session: Session, building: object) -> None:
    auth = _auth(session, "admin", None)
    assert client.get("/api/v1/residents", headers=auth).status_code == 422
    both = client.get("/api/v1/residents", params={"building": "B1", "grid": "G1"},
                      headers=auth)
    assert both.status_code == 422 and "exactly one" in both.json()["detail"]
    assert client.get("/api/v1/residents", params={"building": "B9"},
                      headers=auth).status_code == 404
    assert client.get("/api/v1/buildings/B9/households", headers=auth).status_code == 404
