"""Noding, lengths, components and loading of the walking network; OSM import."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from gis.core.errors import InvalidInput
from gis.network import roads
from tests.gis.walknet import line, make_roads, roads_frame


def test_crossing_lines_are_noded_with_lengths_in_metres(session) -> None:
    report = make_roads(session, line((0, 0), (400, 0)), line((100, -50), (100, 150)),
                        line((400, 0), (400, 300)))
    assert report["edges"] == 5 and report["nodes"] == 6
    rows = session.execute(text(
        "SELECT length_m, cost, reverse_cost, source, target FROM road_edge ORDER BY length_m")
    ).all()
    assert [round(r[0], 2) for r in rows] == [50.0, 100.0, 150.0, 300.0, 300.0]
    assert all(r[0] == r[1] == r[2] for r in rows)
    # the crossing at x=100 is one shared node of four edges
    degree = session.execute(text(
        "SELECT max(c) FROM (SELECT n, count(*) c FROM (SELECT source n FROM road_edge "
        "UNION ALL SELECT target FROM road_edge) e GROUP BY n) d")).scalar_one()
    assert degree == 4


def test_disconnected_parts_are_reported_and_numbered_by_size(session) -> None:
    report = make_roads(session, line((0, 0), (300, 0)), line((300, 0), (300, 300)),
                        line((1000, 1000), (1050, 1000)))
    assert report["components"] == 2
    assert report["largest_component_share"] == pytest.approx(600 / 650, abs=1e-3)
    assert report["other_components"] == [{"component": 1, "edges": 1, "length_m": 50.0}]
    comps = session.execute(text("SELECT component, count(*) FROM road_edge GROUP BY 1 "
                                 "ORDER BY 1")).all()
    assert comps == [(0, 2), (1, 1)]


def test_node_ids_are_stable_and_reload_replaces_the_network(session) -> None:
    lines = (line((0, 0), (200, 0)), line((100, -100), (100, 100)))
    make_roads(session, *lines)
    first = session.execute(text("SELECT id, ST_AsText(geom) FROM road_node ORDER BY id")).all()
    v1 = roads.network_version(session)
    make_roads(session, *reversed(lines))
    assert session.execute(text("SELECT id, ST_AsText(geom) FROM road_node ORDER BY id")
                           ).all() == first
    make_roads(session, line((0, 0), (250, 0)))
    assert session.execute(text("SELECT count(*) FROM road_edge")).scalar_one() == 1
    assert roads.network_version(session) != v1


def test_empty_or_pointless_frames_are_refused(session) -> None:
    with pytest.raises(InvalidInput):
        roads.load_roads(session, roads_frame().iloc[:0])


def test_osm_extract_imports_walkable_ways(session) -> None:
    from pyrosm import get_data

    frame = roads.frame_from_osm(get_data("test_pbf"))
    assert not frame["kind"].isin(["motorway", "trunk"]).any()
    assert frame.crs.to_epsg() == 4490
    report = roads.load_roads(session, frame)
    assert report["edges"] == len(frame) and report["components"] >= 1
    assert 0.5 < report["largest_component_share"] <= 1
    # lengths agree with geodesic lengths (UTM outside China)
    geo = session.execute(text("SELECT sum(ST_Length(geom::geography)), sum(length_m) "
                               "FROM road_edge")).one()
    assert np.isclose(geo[0], geo[1], rtol=2e-3)


def test_osm_extract_yields_an_isochrone(session) -> None:
    from pyrosm import get_data
    from shapely import Point

    from gis.network import circles
    from tests.builders import make_facility

    roads.load_roads(session, roads.frame_from_osm(get_data("test_pbf")))
    lon, lat = session.execute(text(
        "SELECT ST_X(n.geom), ST_Y(n.geom) FROM road_node n JOIN road_edge e ON e.source = n.id "
        "WHERE e.component = 0 ORDER BY n.id LIMIT 1 OFFSET 100")).one()
    fac = make_facility(session, type="clinic", geom=Point(lon, lat))
    row = circles.get_service_circle(session, fac.id)
    assert row["snap_distance_m"].iloc[0] < 1
    area = row["area_m2"].iloc[0]
    assert 20_000 < area < 3.14 * 525**2
    # nothing beyond budget + buffer as the crow flies (UTM zone 35N here)
    reach = session.execute(text(
        "SELECT ST_MaxDistance(ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), 4490), 32635),"
        " ST_Transform(geom, 32635)) FROM service_area"),
        {"x": lon, "y": lat}).scalar_one()
    assert reach <= 500 + circles.BUFFER_M + 1


def test_import_framework_reads_osm_pbf_as_roads() -> None:
    from pathlib import Path

    from pyrosm import get_data

    from gis.core.errors import MalformedFile
    from gis.io import readers
    from gis.io.kinds import get_kind

    path = Path(get_data("test_pbf"))
    frame, crs = readers.read_file(path, get_kind("roads"))
    assert crs.to_epsg() == 4490 and {"name", "kind", "geometry"} <= set(frame.columns)
    assert len(frame) > 500
    with pytest.raises(MalformedFile):
        readers.read_file(path, get_kind("buildings"))


def test_edges_added_by_sql_without_a_component_are_numbered_before_routing(session) -> None:
    make_roads(session, line((0, 0), (300, 0)), line((2000, 0), (2100, 0)))
    session.execute(text(
        "INSERT INTO road_edge (id, source, target, length_m, cost, reverse_cost, geom) "
        "SELECT 99, a.id, b.id, 1700, 1700, 1700, ST_MakeLine(a.geom, b.geom) "
        "FROM road_node a, road_node b WHERE a.id = (SELECT target FROM road_edge WHERE id = 1)"
        " AND b.id = (SELECT source FROM road_edge WHERE id = 2)"))
    graph = roads.read_graph(session)
    assert len(graph.edge_id) == 3  # one component now: all usable
    assert session.execute(text("SELECT count(DISTINCT component) FROM road_edge")
                           ).scalar_one() == 1
