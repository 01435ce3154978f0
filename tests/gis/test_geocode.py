"""Address normalisation (pure) and trigram geocoding against buildings (PostGIS)."""

from __future__ import annotations

import pytest

from gis import geocode
from gis.errors import InvalidInput
from tests.builders import make_building, make_grid, square


@pytest.mark.parametrize(("raw", "normal"), [
    ("江苏省连云港市海州区朝阳东路１２号３幢２单元５０１室", "朝阳东路12号3栋"),
    ("海州区 朝阳东路12号3号楼", "朝阳东路12号3栋"),
    ("连云港市海州区新浦街道朝阳社区朝阳东路12号3座", "朝阳东路12号3栋"),
    ("朝阳东路12号3-501", "朝阳东路12号3栋"),
    ("朝阳东路１２号", "朝阳东路12号"),
    ("新海小区3栋", "新海小区3栋"),     # 小区 is not a district
    ("海州区", "海州区"),               # never normalised to nothing
])
def test_normalize_address(raw, normal):
    assert geocode.normalize_address(raw) == normal


@pytest.fixture
def street(session):
    grid = make_grid(session, code="G-GC", name="朝阳网格", geom=square(119.20, 34.60, 0.01))
    for n in range(1, 5):
        make_building(session, address=f"朝阳东路12号{n}栋", grid=grid,
                      geom=square(119.201 + n * 0.001, 34.603, 0.0004))
    make_building(session, address="解放东路8号1栋", grid=grid,
                  geom=square(119.208, 34.608, 0.0004))
    return grid


def test_exact_match_is_clear_and_carries_the_grid(session, street):
    found = geocode.geocode(session, "连云港市海州区朝阳东路１２号３幢")
    best = found["candidates"][0]
    assert best["address"] == "朝阳东路12号3栋" and best["score"] == 1.0
    assert best["grid_code"] == "G-GC"
    assert 119.20 < best["lon"] < 119.21 and 34.60 < best["lat"] < 34.61
    assert found["clear"]
    scores = [c["score"] for c in found["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_ambiguous_or_unknown_address_is_not_clear(session, street):
    vague = geocode.geocode(session, "朝阳东路12号")
    assert len(vague["candidates"]) >= 2 and not vague["clear"]
    assert geocode.geocode(session, "人民路99号")["candidates"] == []


def test_empty_query_is_refused(session):
    with pytest.raises(InvalidInput):
        geocode.geocode(session, "  ")


def test_geocode_over_http_needs_a_key(client, session, street):
    from gis import keys

    assert client.get("/api/v1/geocode", params={"q": "朝阳东路12号1栋"}).status_code == 401
    headers = {"Authorization": f"Bearer {keys.create_key(session, role='viewer')}"}
    body = client.get("/api/v1/geocode", params={"q": "朝阳东路12号1栋"}, headers=headers).json()
    assert body["candidates"][0]["address"] == "朝阳东路12号1栋" and body["clear"]


def test_demo_address_only_events_are_placed(demo_session):
    """The demo's address-only events (full-width digits, 幢/号楼, city prefixes) find the
    building whose standard address they name, clearly enough to be placed without a person."""
    from sqlalchemy import text

    addresses = demo_session.scalars(text(
        "SELECT address FROM event WHERE geom IS NULL AND address IS NOT NULL "
        "ORDER BY id LIMIT 200")).all()
    assert addresses
    found = geocode.geocode_many(demo_session, addresses, limit=2)
    placed = [geocode.best_if_clear(c) for c in found]
    share = sum(p is not None for p in placed) / len(addresses)
    assert share >= 0.9, share
    for address, best in zip(addresses, placed, strict=True):
        if best is not None:
            assert best["address"] == geocode.normalize_address(address)
