"""Isochrones on networks whose answer is known by hand (distances in metres)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from gis.core import errors
from gis.core.errors import InvalidInput
from gis.network import circles, coverage, roads, siting
from tests.builders import make_facility
from tests.gis.walknet import at, line, make_roads, point

BUF = circles.BUFFER_M
_TO_M = Transformer.from_crs(4490, 4549, always_xy=True)


def circle_of(session, facility, **kw) -> shapely.Geometry:
    return circles.get_service_circle(session, facility.id, **kw).geometry.iloc[0]


def inside(poly, x: float, y: float) -> bool:
    return bool(poly.contains(point(x, y)))


def test_long_edge_is_cut_at_the_remaining_distance(session) -> None:
    make_roads(session, line((0, 0), (2000, 0)))
    fac = make_facility(session, geom=point(100, 0))
    poly = circle_of(session, fac)  # 500 m each way from x=100
    assert all(inside(poly, x, 0) for x in np.linspace(-20, 590, 50))
    assert inside(poly, 600 + BUF - 5, 0) and not inside(poly, 600 + BUF + 5, 0)
    assert not inside(poly, 1200, 0)
    # its area is the street from x=0 (the end) to x=600, buffered: a stadium shape
    area = shapely.transform(poly, lambda xy: np.column_stack(_TO_M.transform(*xy.T))).area
    assert area == pytest.approx(600 * 2 * BUF + np.pi * BUF**2, rel=0.01)


def test_every_point_within_budget_is_inside_and_far_points_are_not(session) -> None:
    # a 100 m street grid of 5 x 5 blocks; the facility stands on the street y=200 at x=250
    make_roads(session, *[line((0, y), (500, y)) for y in range(0, 501, 100)],
               *[line((x, 0), (x, 500)) for x in range(0, 501, 100)])
    fac = make_facility(session, geom=point(250, 200))
    poly = circle_of(session, fac, minutes=5, speed=50)  # 250 m
    xs = np.linspace(0, 500, 51)
    on_streets = [(x, y) for y in range(0, 501, 100) for x in xs] + \
                 [(x, y) for x in range(0, 501, 100) for y in xs]
    checked_out = 0
    for x, y in on_streets:
        d = _grid_walk(x, y)
        if d <= 250:
            assert inside(poly, x, y), (x, y, d)
        elif d >= 250 + BUF + 10:
            assert not inside(poly, x, y), (x, y, d)
            checked_out += 1
    assert checked_out > 100


def _grid_walk(x: float, y: float) -> float:
    """Walking metres from (250, 200) to a point on the 100 m grid (worked out by hand)."""
    if y == 200:
        return abs(x - 250)
    if x % 100 == 0:  # on a north-south street: along y=200 to it, then up or down
        return abs(x - 250) + abs(y - 200)
    # on another east-west street: up some north-south street cx, then along
    return min(abs(250 - cx) + abs(y - 200) + abs(x - cx) for cx in range(0, 501, 100))


def test_cycle_edge_outside_the_tree_is_included_whole(session) -> None:
    # a triangle loop: both ends of the far edge B-C are reached (200 m each), the edge is
    # 150 m long, so every point on it is within 200 + 75 = 275 <= 300 m
    make_roads(session, line((0, 0), (0, 200)), line((0, 0), (150, 132.29)),
               line((0, 200), (150, 132.29)))
    fac = make_facility(session, geom=point(0, 0))
    poly = circle_of(session, fac, minutes=6, speed=50)  # 300 m
    mid = (75, 166.15)
    assert inside(poly, *mid)
    assert all(inside(poly, 150 * t, 200 - 67.71 * t) for t in np.linspace(0, 1, 20))


def test_river_crossed_only_at_bridges(session) -> None:
    # banks at y=0 and y=100; bridges at x=-450 and x=450; nothing crosses in between
    make_roads(session, line((-600, 0), (600, 0)), line((-600, 100), (600, 100)),
               line((-450, 0), (-450, 100)), line((450, 0), (450, 100)))
    fac = make_facility(session, geom=point(0, -10))
    poly = circle_of(session, fac)
    assert inside(poly, 0, 0) and inside(poly, 440, 0)
    assert not inside(poly, 0, 100)  # 110 m crow-fly, 1000 m by bridge
    assert not inside(poly, 0, 60)


def test_far_facility_is_refused_with_its_snap_distance(session) -> None:
    make_roads(session, line((0, 0), (500, 0)))
    fac = make_facility(session, geom=point(100, 300))
    with pytest.raises(errors.SnapTooFar) as err:
        circle_of(session, fac)
    assert err.value.details["snap_m"] == pytest.approx(300, abs=0.5)
    out = circles.list_service_circles(session, type=fac.type)
    assert out.empty and out.attrs["skipped"][0]["id"] == fac.id


def test_entrance_is_preferred_to_the_footprint(session) -> None:
    from geoalchemy2.shape import from_shape

    make_roads(session, line((0, 0), (1000, 0)))
    fac = make_facility(session, geom=point(900, 150))
    fac.entrance = from_shape(point(100, 10), srid=4490)
    session.flush()
    row = circles.get_service_circle(session, fac.id)
    assert row["snap_distance_m"].iloc[0] == pytest.approx(10, abs=0.1)
    assert inside(row.geometry.iloc[0], 550, 0) and not inside(row.geometry.iloc[0], 700, 0)


def test_cache_is_reused_then_recomputed_when_the_network_changes(session) -> None:
    make_roads(session, line((0, 0), (2000, 0)))
    fac = make_facility(session, geom=point(0, 0))
    circle_of(session, fac)
    stamp = session.execute(text("SELECT id, network_version FROM service_area")).all()
    circle_of(session, fac)
    assert session.execute(text("SELECT id, network_version FROM service_area")).all() == stamp
    make_roads(session, line((0, 0), (2000, 0)), line((300, 0), (300, 400)))
    poly = circle_of(session, fac)
    again = session.execute(text("SELECT id, network_version FROM service_area")).all()
    assert len(again) == 1 and again[0][1] != stamp[0][1]
    assert inside(poly, 300, 150)


def test_cache_is_recomputed_when_the_facility_moves(session) -> None:
    make_roads(session, line((0, 0), (2000, 0)))
    fac = make_facility(session, geom=point(0, 0))
    assert not inside(circle_of(session, fac), 1200, 0)
    # an edit in a later transaction stamps updated_at after the circle's computed_at
    session.execute(text("UPDATE facility SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4490),"
                         " updated_at = clock_timestamp() WHERE id = :id"),
                    {"x": at(1000, 0)[0], "y": at(1000, 0)[1], "id": fac.id})
    session.expire_all()
    poly = circle_of(session, fac)
    assert inside(poly, 1200, 0) and not inside(poly, 100, 0)
    assert session.execute(text("SELECT count(*) FROM service_area")).scalar_one() == 1


def test_budget_parameters_are_checked(session) -> None:
    with pytest.raises(InvalidInput):
        circles.budget_m(0, 50)
    with pytest.raises(InvalidInput):
        circles.budget_m(5e-324, 50)
    assert circles.budget_m(10, 75) == 750
    assert at(0, 0) == pytest.approx((119.2, 34.6))


def test_demo_circles_are_plausible(demo_session) -> None:
    out = circles.list_service_circles(demo_session, type="party_center")
    assert len(out) >= 5 and out.attrs["skipped"] == []
    # a network circle is smaller than the crow-fly disc of 500 m + buffer
    assert out["area_m2"].between(30_000, np.pi * (500 + BUF) ** 2).all()
    reach = demo_session.execute(text("""
        SELECT max(ST_MaxDistance(ST_Transform(coalesce(f.entrance, ST_PointOnSurface(f.geom)),
                                               4549), ST_Transform(s.geom, 4549))
                   - s.snap_distance_m)
        FROM service_area s JOIN facility f ON f.id = s.facility_id""")).scalar_one()
    assert reach <= 500 + BUF + 1


def test_no_network_is_one_answer_for_circles_coverage_and_siting(session):
    """Without a walking network every walking computation says so, in the same words."""
    session.execute(text("DELETE FROM road_edge"))
    session.execute(text("DELETE FROM road_node"))
    kind = coverage.FACILITY_TYPES[0]
    calls = (lambda: circles.list_service_circles(session),
             lambda: coverage.coverage_frame(session, type=kind),
             lambda: siting.list_sites(session, type=kind))
    for call in calls:
        with pytest.raises(InvalidInput) as info:
            call()
        assert info.value.message == roads.NO_NETWORK


def test_walks_start_at_the_entrance_else_inside_the_facility(session):
    """One walking start for circles and coverage: the entrance when there is one."""
    door = make_facility(session, code="F-DOOR", geom=point(0, 0))
    plain = make_facility(session, code="F-PLAIN", geom=point(10, 0))
    session.execute(text("UPDATE facility SET entrance = ST_SetSRID(ST_Point(:x, :y), 4490) "
                         "WHERE id = :id"), {"id": door.id, "x": at(5, 0)[0], "y": at(5, 0)[1]})
    starts = circles.facility_starts(session, ids=[door.id, plain.id]).set_index("code")
    assert (starts.lon["F-DOOR"], starts.lat["F-DOOR"]) == pytest.approx(at(5, 0))
    assert (starts.lon["F-PLAIN"], starts.lat["F-PLAIN"]) == pytest.approx(at(10, 0))
