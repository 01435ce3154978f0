"""Grid load and the household rules, on small hand-checked cases and the demo district."""

from __future__ import annotations

import pytest
from shapely import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.errors import InvalidInput
from gis.grids import grid_load, household_rules
from tests.builders import make_building, make_event, make_grid, make_region, make_resident, square


def _case(session: Session) -> dict:
    community = make_region(session, geom=square(119.20, 34.60, 0.03))
    c = community.code
    big = make_grid(session, community_code=c, geom=square(119.20, 34.60, 0.01))
    fine = make_grid(session, community_code=c, geom=square(119.21, 34.60, 0.01))
    school = make_grid(session, community_code=c, kind="special",
                       geom=square(119.22, 34.60, 0.01))
    farm = make_grid(session, community_code=c, kind="rural", geom=square(119.20, 34.61, 0.01))
    for grid, households, lon, lat in [(big, 400, 119.201, 34.601), (big, 250, 119.205, 34.605),
                                       (fine, 350, 119.211, 34.601),
                                       (school, 10, 119.221, 34.601),
                                       (farm, 150, 119.201, 34.611)]:
        make_building(session, grid=grid, households=households, residents=households * 2,
                      community_code=c, geom=square(lon, lat, 0.0005))
    b = make_building(session, grid=fine, households=0, community_code=c,
                      geom=square(119.215, 34.605, 0.0005))
    make_resident(session, building=b, categories=["elderly_alone", "floating"])
    make_resident(session, building=b, categories=["elderly_alone"])
    make_event(session, grid=fine, geom=Point(119.2152, 34.6052))
    return {"community": c, "big": big, "fine": fine, "school": school, "farm": farm}


def test_load_figures_and_status(session: Session) -> None:
    case = _case(session)
    frame = grid_load.list_grid_load(session, scope_code=case["community"]).set_index("code")
    big, fine = frame.loc[case["big"].code], frame.loc[case["fine"].code]
    assert (big.households, big.residents, big.buildings) == (650, 1300, 2)
    assert big.status == "oversized" and "500" in big.reason
    assert fine.households == 350 and fine.status == "ok"
    assert fine.special_groups == {"elderly_alone": 2, "floating": 1}
    assert fine.special_total == 3
    assert fine.events_per_month == pytest.approx(1 / 3, abs=0.01)
    # a 0.01° square at 34.6°N is about 1.11 km × 0.915 km
    assert 0.95 < fine.area_km2 < 1.07
    assert frame.loc[case["school"].code].status == "exempt"
    assert frame.loc[case["farm"].code].status == "undersized"  # default rural 200–500


def test_rural_range_is_the_users(session: Session) -> None:
    case = _case(session)
    used = household_rules.rules_with(rural_min=100, rural_max=200)
    frame = grid_load.list_grid_load(session, scope_code=case["community"], rules=used)
    bad = grid_load.out_of_range(frame)
    assert set(bad["code"]) == {case["big"].code}


def test_thematic_layers_count_by_location(session: Session) -> None:
    case = _case(session)
    party = make_grid(session, theme="party", community_code=case["community"],
                      geom=square(119.20, 34.60, 0.02))
    frame = grid_load.list_grid_load(session, theme="party", scope_code=case["community"])
    row = frame.set_index("code").loc[party.code]
    assert row.households == 650 + 350 + 150 and row.buildings == 5


def test_grid_area_is_kept_with_its_geometry(session: Session) -> None:
    """grid.area_m2 (migration 0020) is the geodesic area of the row's outline, also after an
    outline is rewritten in place."""
    grid = make_grid(session, geom=square(119.20, 34.60, 0.01))
    check = text("SELECT area_m2, ST_Area(geom::geography) FROM grid WHERE id = :id")
    stored, computed = session.execute(check, {"id": grid.id}).one()
    assert stored == pytest.approx(computed) and 0.95e6 < stored < 1.07e6
    session.execute(text("UPDATE grid SET geom = ST_Multi(ST_Buffer(geom, 0.005, 'join=mitre'))"
                         " WHERE id = :id"), {"id": grid.id})
    stored, computed = session.execute(check, {"id": grid.id}).one()
    assert stored == pytest.approx(computed) and stored > 3.5e6


def test_bad_rules_and_theme_are_refused() -> None:
    with pytest.raises(InvalidInput):
        household_rules.rules_with(residential_min=600, residential_max=500)
    with pytest.raises(InvalidInput):
        grid_load.list_grid_load(None, theme="weather")  # type: ignore[arg-type]


@pytest.mark.parametrize(("households", "k", "feasible"), [
    (1000, 3, True), (2000, 5, True), (520, 1, False), (200, 1, False), (900, 2, True),
    (0, 1, True),
])
def test_grid_count(households: int, k: int, feasible: bool) -> None:
    count = household_rules.grid_count(households, (300, 500))
    assert (count.k, count.feasible) == (k, feasible)


def test_demo_district_has_grids_out_of_range(demo_session: Session) -> None:
    frame = grid_load.list_grid_load(demo_session, scope_code="320706013000")
    assert len(frame) > 0
    assert {"oversized", "undersized"} <= set(frame["status"])
    assert frame["households"].sum() > 0
