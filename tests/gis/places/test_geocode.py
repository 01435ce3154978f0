"""Address normalisation (pure) and trigram geocoding against buildings (PostGIS)."""

from __future__ import annotations

import re

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

from gis.core import sql
from gis.core.errors import InvalidInput
from gis.places import geocode
from tests.builders import make_building, make_grid, square


@pytest.mark.parametrize(("raw", "normal"), [
    ("江苏省连云港市海州区朝阳东路１２号３幢２单元５０１室", "朝阳东路12号3栋"),
    ("海州区 朝阳东路12号3号楼", "朝阳东路12号3栋"),
    ("连云港市海州区新浦街道朝阳社区朝阳东路12号3座", "朝阳东路12号3栋"),
    ("朝阳东路12号3-501", "朝阳东路12号3栋"),
    ("朝阳东路12号3-2-501", "朝阳东路12号3栋"),      # building-unit-room
    ("朝阳东路１２号", "朝阳东路12号"),
    ("新海小区3栋", "新海小区3栋"),     # 小区 is not a district
    ("海州区", "海州区"),               # never normalised to nothing
    # Chinese numerals in number positions
    ("朝阳东路十二号三栋", "朝阳东路12号3栋"),
    ("朝阳东路12号三幢", "朝阳东路12号3栋"),
    ("朝阳东路十二号二十一号楼", "朝阳东路12号21栋"),
    ("朝阳东路一百零五号两栋", "朝阳东路105号2栋"),
    ("朝阳东路12号第三栋", "朝阳东路12号3栋"),
    ("朝阳东路12号3栋一单元五〇二室", "朝阳东路12号3栋"),
    ("一单元502", "1单元502"),           # a unit alone is all there is: kept
    ("朝阳东路十十号", "朝阳东路十十号"),   # not a number: left as written
    # 栋/幢/座/号楼/# are one; separators between door and building number mean 号
    ("朝阳东路12号3#", "朝阳东路12号3栋"),
    ("朝阳东路12号3#楼", "朝阳东路12号3栋"),
    ("朝阳东路12-3栋", "朝阳东路12号3栋"),
    ("朝阳东路12 3幢", "朝阳东路12号3栋"),
    ("朝阳东路12，3号楼", "朝阳东路12号3栋"),
    ("朝阳东路12-3号", "朝阳东路12-3号"),     # a door number with a sub-number stays
    ("朝阳东路（12号）3栋。", "朝阳东路12号3栋"),
    # a trailing room or household number goes
    ("朝阳东路12号502室", "朝阳东路12号"),
    ("朝阳东路12号3栋502户", "朝阳东路12号3栋"),
    ("海州区阳光花园小区3号楼2单元", "阳光花园小区3栋"),
])
def test_normalize_address(raw: str, normal: str) -> None:
    assert geocode.normalize_address(raw) == normal


NAMES_WITH_NUMERALS = ["三里屯", "十里铺", "一品苑", "第二人民医院", "五一路", "天一楼",
                       "百花园", "千禧家园", "九龙城", "两岸花园"]


@pytest.mark.parametrize("name", NAMES_WITH_NUMERALS)
def test_numerals_inside_names_are_kept(name: str) -> None:
    assert geocode.normalize_address(f"{name}三号楼") == f"{name}3栋"
    assert geocode.normalize_address(f"{name}8号") == f"{name}8号"


@settings(max_examples=60, deadline=None)
@given(door=st.integers(1, 999), building=st.integers(1, 120), unit=st.integers(1, 9),
       word=st.sampled_from(["栋", "幢", "座", "号楼"]))
def test_any_chinese_number_reads_like_digits(door: int, building: int, unit: int,
                                              word: str) -> None:
    raw = f"朝阳东路{cn2an.an2cn(door)}号{cn2an.an2cn(building)}{word}{cn2an.an2cn(unit)}单元"
    assert geocode.normalize_address(raw) == f"朝阳东路{door}号{building}栋"


@pytest.mark.parametrize(("raw", "forms"), [
    ("朝阳东路12号3栋", ("朝阳东路12号3栋", "朝阳东路12号3栋", None)),
    ("海州区阳光花园小区3号楼", ("阳光花园小区3栋", "阳光花园3栋", "海州区阳光花园3栋")),
    ("阳光小区3号", ("阳光小区3号", "阳光3栋", None)),     # 号 after a compound: a building
    ("朝阳东路12号阳光花园3栋", ("朝阳东路12号3栋", "阳光花园3栋", None)),
    ("阳光花园", ("阳光花园", "阳光花园", None)),
])
def test_search_forms(raw: str, forms: tuple[str, str, str | None]) -> None:
    assert geocode.search_forms(raw) == forms


def cand(score: float, exact: bool = False) -> dict:
    return {"score": score, "exact": exact}


@pytest.mark.parametrize(("candidates", "clear"), [
    ([cand(1.0, True), cand(0.92)], True),           # 11栋 exactly, 111栋 close behind
    ([cand(1.0, True), cand(1.0, True)], False),     # two buildings with the same address
    ([cand(0.7), cand(0.5)], True),
    ([cand(0.7), cand(0.6)], False),
    ([cand(0.5)], False),
    ([], False),
])
def test_best_if_clear(candidates: list[dict], clear: bool) -> None:
    assert (geocode.best_if_clear(candidates) is not None) == clear


@pytest.fixture
def street(session: Session):
    grid = make_grid(session, code="G-GC", name="朝阳网格", geom=square(119.20, 34.60, 0.01))
    for n in range(1, 5):
        make_building(session, address=f"朝阳东路12号{n}栋", grid=grid, compound="阳光花园",
                      geom=square(119.201 + n * 0.001, 34.603, 0.0004))
    for n in range(1, 13):
        make_building(session, address=f"解放东路8号{n}栋", grid=grid, compound="三里屯小区",
                      geom=square(119.201 + n * 0.0005, 34.608, 0.0004))
    return grid


def best(found: dict) -> str:
    return found["candidates"][0]["address"]


def test_exact_match_is_clear_and_carries_the_grid(session: Session, street) -> None:
    found = geocode.geocode(session, "连云港市海州区朝阳东路１２号３幢")
    top = found["candidates"][0]
    assert top["address"] == "朝阳东路12号3栋" and top["score"] == 1.0
    assert top["grid_code"] == "G-GC" and top["matched"] == "address"
    assert 119.20 < top["lon"] < 119.21 and 34.60 < top["lat"] < 34.61
    assert found["clear"]
    scores = [c["score"] for c in found["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_chinese_numerals_find_the_building(session: Session, street) -> None:
    found = geocode.geocode(session, "朝阳东路十二号三栋")
    assert best(found) == "朝阳东路12号3栋" and found["clear"]
    assert best(geocode.geocode(session, "解放东路八号十一号楼三单元")) == "解放东路8号11栋"


def test_compound_and_building_number_find_the_building(session: Session, street) -> None:
    for query in ("阳光花园3栋", "海州区阳光花园小区3号楼2单元", "阳光花园三幢502室"):
        found = geocode.geocode(session, query)
        assert best(found) == "朝阳东路12号3栋" and found["clear"], query
        assert found["candidates"][0]["matched"] == "compound"
    found = geocode.geocode(session, "三里屯小区十二号楼")   # a name with a numeral
    assert found["normalized"] == "三里屯小区12栋"
    assert best(found) == "解放东路8号12栋" and found["clear"]


def test_ambiguous_or_unknown_address_is_not_clear(session: Session, street) -> None:
    vague = geocode.geocode(session, "朝阳东路12号")
    assert len(vague["candidates"]) >= 2 and not vague["clear"]
    compound_only = geocode.geocode(session, "阳光花园小区")
    assert len(compound_only["candidates"]) >= 2 and not compound_only["clear"]
    assert {c["compound"] for c in compound_only["candidates"]} == {"阳光花园"}
    assert geocode.geocode(session, "人民路99号")["candidates"] == []


def test_many_queries_keep_their_order(session: Session, street) -> None:
    found = geocode.geocode_many(session, ["阳光花园2栋", "人民路99号", "解放东路8号5幢"],
                                 limit=1)
    assert [[c["address"] for c in cs] for cs in found] == [
        ["朝阳东路12号2栋"], [], ["解放东路8号5栋"]]
    assert geocode.geocode_many(session, []) == []


def test_both_trigram_indexes_can_serve_the_statement(session: Session) -> None:
    """The compound key in gis/core/sql/geocode.sql is the expression migration 0003 indexes: with
    sequential and plain index scans priced out the plan reads both GIN indexes (a typo in
    either place leaves only a seq scan)."""
    session.execute(text("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"))
    names = ("streets", "compounds", "written")
    statement = text("EXPLAIN " + sql.load("geocode")).bindparams(
        *(bindparam(name, type_=ARRAY(TEXT)) for name in names))
    forms = geocode.search_forms("连云港市海州区阳光花园3号楼")
    plan = "\n".join(session.execute(statement, {
        **{name: [form] for name, form in zip(names, forms, strict=True)}, "limit": 5,
        "scope": None,
    }).scalars())
    assert "ix_building_address_trgm" in plan and "ix_building_compound_key_trgm" in plan


def test_a_scoped_search_reads_the_community_prefix_index(demo_session: Session) -> None:
    """A community key's search (demo statistics) reads the community's buildings from
    ix_building_community_prefix (migration 0006; alone or ANDed with the trigram indexes,
    as the estimates go), not every building."""
    names = ("streets", "compounds", "written")
    statement = text("EXPLAIN " + sql.load("geocode")).bindparams(
        *(bindparam(name, type_=ARRAY(TEXT)) for name in names))
    forms = geocode.search_forms("通灌路136号29栋")
    plan = "\n".join(demo_session.execute(statement, {
        **{name: [form] for name, form in zip(names, forms, strict=True)}, "limit": 5,
        "scope": "320706013004"}).scalars())
    assert "ix_building_community_prefix" in plan, plan


def test_a_scoped_search_finds_only_buildings_inside(demo_session: Session) -> None:
    """Candidates come from the caller's jurisdiction only; unscoped, the same query reaches
    the other community's buildings too."""
    address = demo_session.scalar(text(
        "SELECT address FROM building WHERE community_code = '320706013004' "
        "AND address LIKE '秦东门大街%' ORDER BY code LIMIT 1"))  # a street of 004, 005, 006
    everywhere = geocode.geocode(demo_session, address, limit=50)["candidates"]
    assert {c["community_code"] for c in everywhere} - {"320706013004"}
    for scope in ("320706013001", "320706013004"):
        found = geocode.geocode(demo_session, address, limit=50, scope=scope)["candidates"]
        assert {c["community_code"] for c in found} <= {scope}
    inside = geocode.geocode(demo_session, address, scope="320706013004")["candidates"]
    assert inside[0]["address"] == address


def test_empty_query_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput):
        geocode.geocode(session, "  ")


def test_demo_address_only_events_are_placed(demo_session: Session) -> None:
    """The demo's address-only events (full-width digits, 幢/号楼, city prefixes) find the
    building whose standard address they name, clearly enough to be placed without a person."""
    addresses = demo_session.scalars(text(
        "SELECT address FROM event WHERE geom IS NULL AND address IS NOT NULL "
        "ORDER BY id LIMIT 200")).all()
    assert addresses
    found = geocode.geocode_many(demo_session, addresses, limit=2)
    placed = [geocode.best_if_clear(c) for c in found]
    share = sum(p is not None for p in placed) / len(addresses)
    assert share >= 0.9, share
    for address, top in zip(addresses, placed, strict=True):
        if top is not None:
            assert top["address"] == geocode.normalize_address(address)


def chinese(address: str) -> str:
    """A demo address as a caller says it: numbers in Chinese, 幢, the city in front."""
    spoken = re.sub(r"\d+", lambda m: cn2an.an2cn(m.group()), address).replace("栋", "幢")
    return "连云港市海州区" + spoken


def demo_building(session: Session, where: str) -> dict:
    row = session.execute(text(
        "SELECT code, address, compound, substring(address FROM '([0-9]+)栋$') AS number "
        f"FROM building WHERE {where} ORDER BY code LIMIT 1")).mappings().first()
    assert row is not None, where
    return dict(row)


def test_demo_chinese_numerals_are_clear(demo_session: Session) -> None:
    target = demo_building(demo_session, "address ~ '[0-9]{2}号[0-9]{2}栋$'")
    found = geocode.geocode(demo_session, chinese(target["address"]) + "二单元")
    assert found["normalized"] == target["address"]
    assert found["candidates"][0]["building_code"] == target["code"] and found["clear"]


def test_demo_compound_addresses_are_clear(demo_session: Session) -> None:
    target = demo_building(demo_session, "compound LIKE '%小区' AND address ~ '[0-9]{2}栋$'")
    for query in (f"{target['compound']}{target['number']}号楼2单元",
                  f"海州区{target['compound']}{cn2an.an2cn(target['number'])}幢"):
        found = geocode.geocode(demo_session, query)
        assert found["candidates"][0]["building_code"] == target["code"], query
        assert found["clear"], found["candidates"][:2]
    vague = geocode.geocode(demo_session, target["compound"])
    assert vague["candidates"] and not vague["clear"]
    assert {c["compound"] for c in vague["candidates"]} == {target["compound"]}


def test_demo_compound_names_with_numerals_are_kept(demo_session: Session) -> None:
    """海州区第二人民医院: the district in front is part of the name, 第二 is not a number."""
    target = demo_building(demo_session, "compound ~ '^海州区.*[一二三四五六七八九十]'")
    found = geocode.geocode(demo_session, f"{target['compound']}{target['number']}号楼")
    assert target["compound"].removeprefix("海州区") in found["normalized"]
    assert found["candidates"][0]["building_code"] == target["code"] and found["clear"]


def test_demo_exact_building_number_beats_its_longer_twin(demo_session: Session) -> None:
    """11栋 and 111栋 share most trigrams (0.89 apart from 1.0); the exact one is still clear."""
    target = demo_building(demo_session, "address ~ '号11栋$' AND EXISTS (SELECT 1 FROM "
                                         "building o WHERE o.address = "
                                         "replace(building.address, '号11栋', '号111栋'))")
    for query in (f"{target['compound']}十一号楼", chinese(target["address"])):
        found = geocode.geocode(demo_session, query, limit=2)
        assert found["candidates"][0]["building_code"] == target["code"], query
        assert found["candidates"][1]["score"] > 1 - geocode.AUTO_MIN_MARGIN
        assert found["clear"], query
