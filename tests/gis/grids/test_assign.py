"""Locate and set-based assignment on real PostGIS: edges, the 50 m rule, history, datums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from geoalchemy2.shape import from_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import crs
from gis.core.errors import InvalidCoordinates, OutsideJurisdiction, UnknownCRS
from gis.grids import assign
from gis.models import Event, Grid
from tests.builders import (
    SUBDISTRICT,
    make_building,
    make_event,
    make_grid,
    make_region,
    make_worker,
    square,
)

M_PER_DEG_LON = 111_320 * np.cos(np.radians(34.6))  # near the test grids


@pytest.fixture
def two_grids(session: Session) -> tuple[Grid, Grid]:
    """Two unit squares sharing the edge lon = 119.21; codes deliberately out of order."""
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013001", name="东社区", parent_code=SUBDISTRICT)
    east = make_grid(session, code="G-A", name="东网格", community_code="320706013001",
                     geom=square(119.21, 34.60, 0.01))
    west = make_grid(session, code="G-B", name="西网格", community_code="320706013001",
                     geom=square(119.20, 34.60, 0.01))
    make_worker(session, name="李四", phone="13911112222", grids=[west])
    return west, east


def test_locate_answers_grid_community_subdistrict_and_worker(session, two_grids):
    west, _ = two_grids
    hit = assign.locate(session, 119.203, 34.605)
    assert hit["grid"]["code"] == west.code
    assert hit["grid"]["version"] == west.version
    assert hit["community"] == {"code": "320706013001", "name": "东社区"}
    assert hit["subdistrict"] == {"code": SUBDISTRICT, "name": "测试街道"}
    assert hit["worker"]["name"] == "李四"
    assert hit["worker"]["phone"] == "13911112222"
    assert not hit["outside"] and not hit["on_boundary"] and hit["distance_m"] == 0


def test_point_on_shared_edge_goes_to_lowest_code_every_time(session, two_grids):
    west, east = two_grids  # east has the lower code G-A
    answers = {assign.locate(session, 119.21, 34.605)["grid"]["code"] for _ in range(3)}
    assert answers == {east.code}
    hit = assign.locate(session, 119.21, 34.605)
    assert hit["on_boundary"] and not hit["outside"]
    # 0.5 m inside the west grid: still flagged, but it belongs to west
    near_edge = assign.locate(session, 119.21 - 0.5 / M_PER_DEG_LON, 34.605)
    assert near_edge["grid"]["code"] == west.code and near_edge["on_boundary"]


def test_fifty_metre_rule(session, two_grids):
    _, east = two_grids
    inside_rule = assign.locate(session, 119.22 + 30 / M_PER_DEG_LON, 34.605)
    assert inside_rule["grid"]["code"] == east.code
    assert inside_rule["outside"]
    assert inside_rule["distance_m"] == pytest.approx(30, abs=0.5)
    with pytest.raises(OutsideJurisdiction, match="outside this jurisdiction") as info:
        assign.locate(session, 119.22 + 80 / M_PER_DEG_LON, 34.605)
    assert info.value.details["distance_m"] == pytest.approx(80, abs=0.5)


def test_bad_coordinates_and_crs_are_refused(session, two_grids):
    with pytest.raises(InvalidCoordinates, match="swapped"):
        assign.locate(session, 34.605, 119.203)
    with pytest.raises(InvalidCoordinates, match="outside China"):
        assign.locate(session, 2.35, 48.85)
    with pytest.raises(UnknownCRS):
        assign.locate(session, 119.203, 34.605, crs="EPSG:999999")


def test_history_at_a_date(session, two_grids):
    west, _ = two_grids
    now = datetime.now(UTC)
    session.execute(text("UPDATE grid SET valid_from = :f WHERE id = :i"),
                    {"f": now - timedelta(days=10), "i": west.id})
    old = make_grid(session, code="G-0", name="旧网格", geom=square(119.20, 34.60, 0.01))
    session.execute(text("UPDATE grid SET valid_from = :f, valid_to = :t WHERE id = :i"),
                    {"f": now - timedelta(days=400), "t": now - timedelta(days=10), "i": old.id})
    assert assign.locate(session, 119.203, 34.605)["grid"]["code"] == west.code
    past = assign.locate(session, 119.203, 34.605, at=now - timedelta(days=100))
    assert past["grid"]["code"] == "G-0"
    # the boundary instant belongs to the new grid (valid_from <= at < valid_to)
    edge = assign.locate(session, 119.203, 34.605, at=now - timedelta(days=10))
    assert edge["grid"]["code"] == west.code


def test_gcj02_and_bd09_twins_land_with_their_wgs84_twin(session, two_grids):
    rng = np.random.default_rng(7)
    lon = rng.uniform(119.2005, 119.2195, 25)
    lat = rng.uniform(34.6005, 34.6095, 25)
    for x, y in zip(lon, lat, strict=True):
        wgs = assign.locate(session, x, y)["grid"]["code"]
        gx, gy = crs.wgs84_to_gcj02(x, y)
        bx, by = crs.wgs84_to_bd09(x, y)
        assert assign.locate(session, float(gx), float(gy), crs="gcj02")["grid"]["code"] == wgs
        assert assign.locate(session, float(bx), float(by), crs="bd09")["grid"]["code"] == wgs


def test_projected_input_is_reprojected(session, two_grids):
    west, _ = two_grids
    from pyproj import Transformer

    x, y = Transformer.from_crs(4490, 4549, always_xy=True).transform(119.203, 34.605)
    assert assign.locate(session, x, y, crs="EPSG:4549")["grid"]["code"] == west.code


def _metres(dlon: np.ndarray, dlat: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.hypot(dlon * 111_320 * np.cos(np.radians(lat)), dlat * 110_574)


@settings(max_examples=300, deadline=None)
@given(st.floats(73.5, 135.0), st.floats(18.0, 53.5))
def test_gcj02_bd09_round_trips_are_below_one_centimetre(lon, lat):
    for forward, inverse in ((crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
                             (crs.wgs84_to_bd09, crs.bd09_to_wgs84)):
        fx, fy = forward(lon, lat)
        bx, by = inverse(fx, fy)
        assert _metres(np.asarray(bx - lon), np.asarray(by - lat), np.asarray(lat)) < 0.01


@given(st.floats(-170.0, 60.0), st.floats(-60.0, 70.0))
def test_gcj02_equals_wgs84_outside_china(lon, lat):
    gx, gy = crs.wgs84_to_gcj02(lon, lat)
    assert (float(gx), float(gy)) == (lon, lat)


def test_assign_events_matches_st_covers_and_the_rules(session, two_grids):
    west, east = two_grids
    inside = make_event(session, geom=Point(119.203, 34.605))
    on_edge = make_event(session, geom=Point(119.21, 34.605))
    near = make_event(session, geom=Point(119.22 + 30 / M_PER_DEG_LON, 34.605))
    far = make_event(session, geom=Point(119.22 + 80 / M_PER_DEG_LON, 34.605))
    ids = [inside.id, on_edge.id, near.id, far.id]
    session.execute(text("UPDATE event SET grid_id = NULL, grid_version = NULL"))
    assert assign.assign_events(session, ids) == 3
    got = dict(session.execute(text("SELECT id, grid_id FROM event WHERE id = ANY(:i)"),
                               {"i": ids}).all())
    assert got == {inside.id: west.id, on_edge.id: east.id, near.id: east.id, far.id: None}
    row = session.get(Event, inside.id)
    session.refresh(row)
    assert row.community_code == "320706013001" and row.subdistrict_code == SUBDISTRICT
    assert row.grid_version == west.version and row.worker_id is not None
    assert assign.assign_events(session, ids) == 0  # nothing changed, nothing written
    assert assign.assign_events(session, []) == 0


def test_assign_buildings_by_most_area(session, two_grids):
    west, east = two_grids
    # 70 % of this building lies in the east grid
    straddling = make_building(session, geom=square(119.2097, 34.605, 0.001))
    inside = make_building(session, geom=square(119.203, 34.605, 0.0005), grid=east)
    outside = make_building(session, geom=square(119.30, 34.70, 0.0005), grid=west)
    assert assign.assign_buildings(session) == 3
    got = dict(session.execute(text("SELECT id, grid_id FROM building")).all())
    assert got == {straddling.id: east.id, inside.id: west.id, outside.id: None}
    assert assign.assign_buildings(session) == 0


def test_every_demo_event_lands_where_st_covers_puts_it(demo_session):
    """Against the demo district: our assignment equals PostGIS ST_Covers (lowest code on
    shared edges), and events outside every grid are within the 50 m rule or unassigned."""
    assign.assign_events(demo_session)
    mismatches = demo_session.execute(text("""
        SELECT e.code, e.grid_id, expected.id FROM event e
        LEFT JOIN LATERAL (
            SELECT g.id FROM grid g WHERE g.theme = 'unified' AND g.valid_to IS NULL
              AND ST_Covers(g.geom, e.geom) ORDER BY g.code LIMIT 1) expected ON true
        WHERE e.geom IS NOT NULL AND expected.id IS NOT NULL
          AND e.grid_id IS DISTINCT FROM expected.id""")).all()
    assert mismatches == []
    located = demo_session.scalar(text("SELECT count(*) FROM event WHERE geom IS NOT NULL"))
    assert located > 0
    sample = demo_session.execute(text(
        "SELECT ST_X(geom), ST_Y(geom), grid_id FROM event WHERE grid_id IS NOT NULL "
        "ORDER BY id LIMIT 20")).all()
    for x, y, grid_id in sample:
        assert assign.locate(demo_session, x, y)["grid"]["id"] == grid_id


def test_event_geometry_builder_roundtrip(session, two_grids):
    west, _ = two_grids
    event = make_event(session, geom=Point(119.201, 34.601))
    event.geom = from_shape(Point(119.215, 34.605), srid=4490)
    session.flush()
    assign.assign_events(session, [event.id])
    session.refresh(event)
    assert event.grid_id != west.id


def test_bulk_assignment_on_grid_pieces_follows_the_same_rules(session, two_grids):
    """Without ids (and from BULK_EVENTS ids on) grids are cut into ST_Subdivide pieces:
    edge, 50 m and far-out events must come out as with whole grids."""
    west, east = two_grids
    inside = make_event(session, geom=Point(119.203, 34.605))
    on_edge = make_event(session, geom=Point(119.21, 34.605))
    near = make_event(session, geom=Point(119.22 + 30 / M_PER_DEG_LON, 34.605))
    far = make_event(session, geom=Point(119.22 + 80 / M_PER_DEG_LON, 34.605))
    session.execute(text("UPDATE event SET grid_id = NULL, grid_version = NULL"))
    # extra vertices on the straight edges (same shapes) so that ST_Subdivide really cuts
    # the squares (in halves at lat 34.605, through the inside and edge points)
    session.execute(text("UPDATE grid SET geom = ST_Segmentize(geom, 0.0004)"))
    assert session.scalar(text(
        "SELECT count(*) FROM (SELECT ST_Subdivide(geom, :n) FROM grid) p"),
        {"n": assign.PIECE_VERTICES}) > 2
    assert assign.assign_events(session) == 3
    got = dict(session.execute(text("SELECT id, grid_id FROM event")).all())
    assert got == {inside.id: west.id, on_edge.id: east.id, near.id: east.id, far.id: None}


ASSIGNMENT_DIGEST = text(
    "SELECT md5(string_agg(concat_ws(':', id, grid_id, grid_version, community_code, "
    "subdistrict_code, worker_id), ',' ORDER BY id)) FROM event")


def test_bulk_assignment_with_rebuilt_indexes_writes_the_same(demo_session):
    """The rebuild path (indexes and foreign keys dropped, written, built again) stores
    exactly what the in-place path stored when the demo was loaded, and leaves the table's
    indexes as they were."""
    expected = demo_session.scalar(ASSIGNMENT_DIGEST)
    indexes = demo_session.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'event' ORDER BY 1")).all()
    events = demo_session.execute(text(
        "UPDATE event SET grid_id = NULL, grid_version = NULL, community_code = NULL, "
        "subdistrict_code = NULL, worker_id = NULL WHERE geom IS NOT NULL")).rowcount
    assigned = demo_session.scalar(text(
        "SELECT count(*) FROM event WHERE geom IS NOT NULL AND grid_id IS NULL"))
    assert assign.assign_events(demo_session, rebuild=True) <= events
    assert demo_session.scalar(ASSIGNMENT_DIGEST) == expected
    assert assigned == events
    assert demo_session.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'event' ORDER BY 1")).all() == indexes
    assert assign.assign_events(demo_session, rebuild=True) == 0  # nothing left to change
