"""Coverage by walking distance on a river network whose numbers are worked out by hand.

Banks at y=0 and y=100 (metres), bridges only at x=-450 and x=450. A 党群服务中心 stands
at (0, -10) and snaps to (0, 0). Walking metres to each building, by hand:
  A (0, -40)    40 snap                         =   40  covered   10 households
  B (300, -30)  300 along the bank + 30 snap    =  330  covered    5
  C (0, 110)    450 + 100 + 450 + 10 snap       = 1010  NOT covered (110 m crow-fly)  20
  D (470, -20)  470 + 20                        =  490  covered    0
  E (0, 400)    300 m from any street: off the network, not covered   3
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from gis.core.errors import InvalidInput
from gis.network import coverage, roads
from tests.builders import make_building, make_facility, make_grid, make_region
from tests.gis.walknet import box_around, line, make_roads, point

SUB = "320706099000"


@pytest.fixture
def river(session):
    make_roads(session, line((-600, 0), (600, 0)), line((-600, 100), (600, 100)),
               line((-450, 0), (-450, 100)), line((450, 0), (450, 100)))
    make_region(session, code=SUB, name="测试街道", level="subdistrict")
    south = make_region(session, code="320706099001", name="南岸社区", parent_code=SUB)
    north = make_region(session, code="320706099002", name="北岸社区", parent_code=SUB)
    grid_s = make_grid(session, code="G-S", community_code=south.code)
    grid_n = make_grid(session, code="G-N", community_code=north.code)
    spec = {"A": (0, -40, 10, south, grid_s), "B": (300, -30, 5, south, grid_s),
            "C": (0, 110, 20, north, grid_n), "D": (470, -20, 0, south, grid_s),
            "E": (0, 400, 3, north, grid_n)}
    blds = {k: make_building(session, code=f"B-{k}", geom=box_around(x, y), households=h,
                             residents=2 * h, community_code=c.code, grid=g)
            for k, (x, y, h, c, g) in spec.items()}
    fac = make_facility(session, name="南岸党群服务中心", type="party_center",
                        geom=point(0, -10))
    return blds, fac


def by_code(frame):
    return frame.set_index("code")


def test_distances_follow_the_network_not_the_crow(session, river) -> None:
    frame = by_code(coverage.coverage_frame(session, type="party_center"))
    assert frame.loc["B-A", "distance_m"] == pytest.approx(40, abs=0.5)
    assert frame.loc["B-B", "distance_m"] == pytest.approx(330, abs=0.5)
    assert frame.loc["B-C", "distance_m"] == pytest.approx(1010, abs=0.5)
    assert frame.loc["B-D", "distance_m"] == pytest.approx(490, abs=0.5)
    assert bool(frame.loc["B-E", "off_network"])
    assert frame["covered"].to_dict() == {"B-A": True, "B-B": True, "B-C": False,
                                          "B-D": True, "B-E": False}


def test_rates_per_unit_and_uncovered_list(session, river) -> None:
    out = coverage.get_coverage(session, type="party_center", level="community")
    assert out["summary"]["households"] == 38
    assert out["summary"]["covered_households"] == 15
    assert out["summary"]["rate"] == pytest.approx(15 / 38, abs=1e-4)
    assert out["summary"]["covered_residents"] == 30
    units = {u["code"]: u for u in out["units"]}
    assert units["320706099001"]["rate"] == 1.0
    assert units["320706099002"]["rate"] == 0.0
    assert [u["code"] for u in out["uncovered"]] == ["B-C", "B-E"]  # most households first
    grid = coverage.get_coverage(session, type="party_center", level="grid")
    assert {u["code"]: u["covered_households"] for u in grid["units"]} == {"G-N": 0, "G-S": 15}
    sub = coverage.get_coverage(session, type="party_center", level="subdistrict")
    assert [(u["code"], u["households"]) for u in sub["units"]] == [(SUB, 38)]


def test_a_larger_budget_crosses_the_bridge(session, river) -> None:
    out = coverage.coverage_frame(session, type="party_center", minutes=21, speed=50)
    assert by_code(out).loc["B-C", "covered"]  # 1010 <= 1050


def test_catchments_go_to_the_nearest_facility_by_walking(session, river) -> None:
    _, south = river
    north = make_facility(session, name="北岸党群服务中心", type="party_center",
                          geom=point(-300, 105))
    frame = by_code(coverage.coverage_frame(session, type="party_center"))
    assert frame.loc["B-C", "distance_m"] == pytest.approx(310, abs=0.5)
    assert frame.loc["B-C", "facility_id"] == north.id
    assert frame.loc["B-B", "facility_id"] == south.id
    out = coverage.get_coverage(session, type="party_center")
    catch = {c["facility_id"]: c for c in out["catchments"]}
    assert catch[south.id]["buildings"] == 3 and catch[south.id]["households"] == 15
    assert catch[north.id]["households"] == 20
    assert out["summary"]["covered_households"] == 35


def test_no_facility_of_the_type_means_nothing_is_covered(session, river) -> None:
    out = coverage.get_coverage(session, type="clinic")
    assert out["facilities"] == 0 and out["summary"]["covered_households"] == 0


def test_bad_type_and_level_are_refused(session, river) -> None:
    with pytest.raises(InvalidInput):
        coverage.get_coverage(session, type="casino")
    with pytest.raises(InvalidInput):
        coverage.get_coverage(session, type="clinic", level="planet")


def test_demo_coverage_table_is_consistent_and_fast(demo_session) -> None:
    out = coverage.get_coverage(demo_session, type="party_center", level="community")
    assert out["seconds"] < 10
    assert len(out["units"]) == 6
    summary = out["summary"]
    assert 0 < summary["rate"] < 1
    assert sum(u["households"] for u in out["units"]) == summary["households"]
    assert sum(u["covered_households"] for u in out["units"]) == summary["covered_households"]
    catch = out["catchments"]
    assert sum(c["covered_households"] for c in catch) == summary["covered_households"]
    # a longer walk never covers fewer households
    more = coverage.get_coverage(demo_session, type="party_center", minutes=15)
    assert more["summary"]["covered_households"] >= summary["covered_households"]


def test_a_scope_reads_its_reach_and_answers_as_the_whole(session, river) -> None:
    whole = coverage.get_coverage(session, type="party_center")
    north = coverage.get_coverage(session, type="party_center", scope_code="320706099002")
    assert north["summary"]["households"] == 23 and north["summary"]["covered_households"] == 0
    assert [u["code"] for u in north["units"]] == ["320706099002"]
    # C walks 1010 m over the bridges outside its community's box, as on the whole network
    assert {u["code"]: u["distance_m"] for u in north["uncovered"]} == {
        u["code"]: u["distance_m"] for u in whole["uncovered"] if u["code"] in ("B-C", "B-E")}


def test_demo_scope_equals_the_whole_restricted(demo_session) -> None:
    whole = coverage.coverage_frame(demo_session, type="party_center")
    codes = sorted(whole["community_code"].dropna().unique())
    assert len(codes) >= 2
    for code in codes:
        part = coverage.coverage_frame(demo_session, type="party_center", scope_code=code)
        want = coverage.in_scope(whole, code)
        assert list(part["id"]) == list(want["id"])
        assert list(part["covered"]) == list(want["covered"])
        assert list(part["off_network"]) == list(want["off_network"])
        near = want["covered"].to_numpy()
        assert part["distance_m"].to_numpy()[near] == pytest.approx(
            want["distance_m"].to_numpy()[near])
        assert list(part["facility_id"][near]) == list(want["facility_id"][near])
        assert coverage.summary_of(part) == coverage.summary_of(want)
        assert len(part.attrs["facilities"]) <= len(whole.attrs["facilities"])
    # a community's reach is less than the whole network
    box = coverage.grown_bounds(coverage.buildings_frame(demo_session, codes[0]), 800)
    assert len(roads.read_graph(demo_session, bbox=box).edge_id) < len(
        roads.read_graph(demo_session).edge_id)


def test_a_scope_reads_nothing_of_the_whole_network(session, river) -> None:
    """A subdistrict's coverage costs its reach: no statement reads every node or edge (the
    network's extent, its fingerprint, an unboxed component check)."""
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:
        seen.append(" ".join(sql.split()))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", statement)
    try:
        north = coverage.get_coverage(session, type="party_center", scope_code="320706099002")
    finally:
        event.remove(engine, "before_cursor_execute", statement)
    assert north["summary"]["households"] == 23
    network = [s for s in seen if "road_node" in s or "road_edge" in s]
    assert network and all("ST_MakeEnvelope" in s for s in network), network
    # the whole network's read still renumbers components and picks the network's own CRS
    assert roads.read_graph(session).srid == roads.network_srid(session)
