"""Residents service: masking, scope lookup, jurisdiction rules, audit rows."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.core.errors import Forbidden, InvalidInput, NotFound
from gis.models import AuditLog
from gis.people import residents
from tests.builders import (
    make_building,
    make_grid,
    make_household,
    make_region,
    make_resident,
)

HOME = "320706013001"


@pytest.fixture
def grid(session: Session):  # type: ignore[no-untyped-def]
    make_region(session, code=HOME)
    grid = make_grid(session, code="G1", community_code=HOME)
    for code in ("B1", "B2"):
        house = make_building(session, code=code, grid=grid, community_code=HOME)
        home = make_household(session, building=house, phone="13812345678")
        make_resident(session, building=house, household=home, name="赵一")
        make_resident(session, building=house, household=home, name="赵二", phone=None)
    make_building(session, code="B3", community_code=HOME)  # in no grid
    return grid


def test_lists_by_building_and_grid(session: Session, grid: object) -> None:
    assert len(residents.list_residents(session, building_code="B1")) == 2
    frame = residents.list_residents(session, grid_code="G1", limit=3)
    assert len(frame) == 3 and frame.attrs["number_matched"] == 4
    assert list(frame.building_code) == ["B1", "B1", "B2"]
    households = residents.list_households(session, grid_code="G1")
    assert list(households.residents) == [2, 2]
    assert residents.list_residents(session, building_code="B3").empty


def test_masked_unless_revealed(session: Session, grid: object) -> None:
    masked = residents.list_residents(session, building_code="B1")
    assert set(masked.name) == {"赵*"}
    assert masked.phone.iloc[0] == "137****4321" and masked.phone.isna().iloc[1]
    assert masked.id_number.iloc[0] == "320706********1234"
    audits = select(func.count()).select_from(AuditLog)
    assert session.scalar(audits) == 0
    plain = residents.list_residents(session, building_code="B1", reveal=True, actor="key:1:x")
    assert list(plain.name) == ["赵一", "赵二"]
    assert session.scalar(audits) == 1


def test_scope_and_rules(session: Session, grid: object) -> None:
    assert residents.get_scope(session, building_code="B1") == HOME
    assert residents.get_scope(session, grid_code="G1") == HOME
    with pytest.raises(NotFound, match="B9"):
        residents.get_scope(session, building_code="B9")
    with pytest.raises(InvalidInput):
        residents.get_scope(session)
    dispatcher = Caller(role="dispatcher", region_code="320706013000", key_id=1)
    assert residents.may_reveal(dispatcher, HOME) is True
    assert residents.may_reveal(dispatcher, HOME, requested=False) is False
    with pytest.raises(Forbidden, match="jurisdiction"):
        residents.may_reveal(Caller(role="dispatcher", region_code="320706014000"), HOME)
    with pytest.raises(Forbidden, match="planner"):
        residents.may_reveal(Caller(role="planner", region_code=HOME), HOME)
    assert residents.may_reveal(Caller(role="planner", region_code=HOME), HOME,
                                requested=False) is False
