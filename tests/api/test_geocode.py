"""GET /api/v1/geocode over HTTP: keys, messy Chinese addresses on the demo, bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_building


def auth(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}


def test_geocode_needs_a_key(client: TestClient, session: Session) -> None:
    make_building(session, address="朝阳东路12号1栋")
    assert client.get("/api/v1/geocode", params={"q": "朝阳东路12号1栋"}).status_code == 401
    body = client.get("/api/v1/geocode", params={"q": "朝阳东路十二号一幢"},
                      headers=auth(session)).json()
    assert body["candidates"][0]["address"] == "朝阳东路12号1栋" and body["clear"]


def test_demo_compound_address_with_chinese_numerals(demo_client: TestClient,
                                                    demo_session: Session) -> None:
    target = demo_session.execute(text(
        "SELECT code, compound FROM building WHERE compound LIKE '%小区' "
        "AND address ~ '号3栋$' ORDER BY code LIMIT 1")).mappings().one()
    query = f"连云港市海州区{target['compound']}三号楼二单元502室"
    response = demo_client.get("/api/v1/geocode", params={"q": query, "limit": 3},
                               headers=auth(demo_session))
    assert response.status_code == 200
    body = response.json()
    assert body["normalized"] == f"{target['compound']}3栋" and body["clear"]
    top = body["candidates"][0]
    assert top["building_code"] == target["code"] and top["matched"] == "compound"
    assert top["grid_code"] and 119.1 < top["lon"] < 119.3 and 34.5 < top["lat"] < 34.7
    assert len(body["candidates"]) == 3


def test_blank_or_long_query_is_a_422(demo_client: TestClient, demo_session: Session) -> None:
    headers = auth(demo_session)
    for q in (" ", "朝" * 201):
        response = demo_client.get("/api/v1/geocode", params={"q": q}, headers=headers)
        assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_a_community_key_gets_candidates_of_its_community_only(demo_client: TestClient,
                                                               demo_session: Session) -> None:
    """秦东门大街 runs through 004, 005 and 006: a 004 key gets only 004's buildings, a 001
    key none of them; an unscoped key gets the others too."""
    address = demo_session.scalar(text(
        "SELECT address FROM building WHERE community_code = '320706013004' "
        "AND address LIKE '秦东门大街%' ORDER BY code LIMIT 1"))

    def communities(region: str | None) -> set[str]:
        key = keys.create_key(demo_session, role="viewer", region_code=region)
        body = demo_client.get("/api/v1/geocode", params={"q": address, "limit": 50},
                               headers={"Authorization": f"Bearer {key}"}).json()
        return {c["community_code"] for c in body["candidates"]}

    assert communities(None) - {"320706013004"}
    assert communities("320706013004") == {"320706013004"}
    assert communities("320706013001") <= {"320706013001"}
