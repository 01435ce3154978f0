"""Planned grids are one polygon each (rook contiguity, no crumbs), compounds stay whole
where they can, barriers and load weights are honoured (gis.plans.shaping, load, atoms)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans
from gis.plans import atoms, load, partition, shaping

DEMO_SUBDISTRICT = "320706013000"


def not_one_polygon(session: Session, plan_id: int) -> list[tuple]:
    """Proposed grids that are not exactly one valid polygon of positive area."""
    return session.execute(text("""
        SELECT seq, ST_NumGeometries(geom), ST_IsValid(geom), ST_Area(geom::geography)
        FROM plan_grid WHERE plan_id = :p
          AND (geom IS NULL OR ST_NumGeometries(geom) <> 1 OR NOT ST_IsValid(geom)
               OR GeometryType(ST_GeometryN(geom, 1)) <> 'POLYGON'
               OR ST_Area(ST_GeometryN(geom, 1)::geography) <= 1)"""),
        {"p": plan_id}).all()


@pytest.mark.parametrize(("kind", "scope", "options"), [
    ("balance", "320706013003", {}), ("balance", "320706013004", {}),
    ("balance", "320706013005", {}), ("balance", DEMO_SUBDISTRICT, {}),
    ("merge", DEMO_SUBDISTRICT, {}), ("balance", DEMO_SUBDISTRICT, {"barriers": True})])
def test_every_planned_demo_grid_is_one_polygon(demo_session: Session, kind: str, scope: str,
                                                options: dict) -> None:
    plan = plans.create_plan(demo_session, kind=kind, scope_code=scope, created_by="t",
                             **options)
    assert not_one_polygon(demo_session, plan.id) == []
    # every building lies in the grid it is planned in
    outside = demo_session.execute(text("""
        SELECT count(*) FROM plan_building pb JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        JOIN building b ON b.id = pb.building_id
        WHERE pb.plan_id = :p AND NOT ST_Covers(pg.geom, ST_PointOnSurface(b.geom))"""),
        {"p": plan.id}).scalar_one()
    assert outside == 0


def test_pieces_meeting_at_a_point_are_not_one_grid() -> None:
    # grid 0: a square and a smaller one meeting it only at a corner; grid 1 shares an edge
    # with the smaller one, so it takes that piece
    polys = np.array([shapely.MultiPolygon([shapely.box(0, 0, 10, 10),
                                            shapely.box(10, 10, 15, 15)]),
                      shapely.box(15, 10, 25, 15)], dtype=object)
    out, isolated = shaping.one_polygon(polys)
    assert list(shapely.get_type_id(out)) == [3, 3]
    assert isolated.size == 0
    assert out[0].equals(shapely.box(0, 0, 10, 10))
    assert out[1].equals(shapely.box(10, 10, 25, 15))


def test_a_piece_touching_nothing_along_an_edge_is_handed_back() -> None:
    polys = np.array([shapely.MultiPolygon([shapely.box(0, 0, 10, 10),
                                            shapely.box(10, 10, 12, 12)]),
                      shapely.Polygon()], dtype=object)
    out, isolated = shaping.one_polygon(polys)
    assert out[0].equals(shapely.box(0, 0, 10, 10))
    assert len(isolated) == 1 and abs(isolated[0].area - 4) < 1e-9


def test_crumbs_are_dropped() -> None:
    polys = np.array([shapely.MultiPolygon([shapely.box(0, 0, 10, 10),
                                            shapely.box(10, 0, 10.1, 0.1)])], dtype=object)
    out, isolated = shaping.one_polygon(polys)
    assert out[0].equals(shapely.box(0, 0, 10, 10)) and isolated.size == 0


def test_barrier_roads_cut_the_adjacency(demo_session: Session) -> None:
    plain = atoms.load_scope(demo_session, "320706013001")
    cut = atoms.load_scope(demo_session, "320706013001", barriers=True)
    roads = demo_session.execute(text(
        "SELECT count(*) FROM road_edge WHERE kind = ANY(:k)"),
        {"k": list(atoms.BARRIER_ROADS)}).scalar_one()
    assert roads > 0
    assert cut.adjacency.nnz < plain.adjacency.nnz


def test_load_weights_add_events_special_groups_and_area(demo_session: Session) -> None:
    scope = atoms.load_scope(demo_session, "320706013002")
    load.attach_load(demo_session, scope, None)
    assert np.array_equal(scope.atoms["load"], scope.atoms["households"].astype(float))
    load.attach_load(demo_session, scope, load.LoadWeights(special=2.0))
    special = demo_session.execute(text("""
        SELECT count(*) FROM resident r JOIN building b ON b.id = r.building_id
        WHERE b.community_code = '320706013002'
          AND r.categories && CAST(:c AS varchar[])"""),
        {"c": list(load.SPECIAL_CATEGORIES)}).scalar_one()
    extra = scope.atoms["load"].sum() - scope.atoms["households"].sum()
    assert special > 0 and extra == pytest.approx(2.0 * special)
    load.attach_load(demo_session, scope, load.LoadWeights(events_per_month=1.0))
    assert scope.atoms["load"].sum() > scope.atoms["households"].sum()


def test_weighted_plan_records_its_weights(demo_session: Session) -> None:
    plan = plans.create_plan(demo_session, kind="balance", scope_code="320706013002",
                             created_by="t", weights=load.SUGGESTED)
    assert plan.params["weights"] == load.SUGGESTED.model_dump()
    assert not_one_polygon(demo_session, plan.id) == []


def _path(n: int) -> sparse.csr_matrix:
    """A path graph 0-1-…-(n-1) with unit shared boundaries."""
    i = np.arange(n - 1)
    return sparse.csr_matrix((np.ones(2 * (n - 1)), (np.r_[i, i + 1], np.r_[i + 1, i])),
                             shape=(n, n))


def test_a_split_compound_is_made_whole_when_the_range_allows() -> None:
    compound = np.array([None, "甲小区", "甲小区", None], dtype=object)
    h = np.array([2, 2, 2, 2])
    labels = partition.keep_compounds(np.array([0, 0, 1, 1]), _path(4), h, compound, (1, 10))
    assert labels.tolist() == [0, 0, 0, 1]
    # 4-4 would become 6-2: out of a 4-4 range, so the compound stays split
    kept = partition.keep_compounds(np.array([0, 0, 1, 1]), _path(4), h, compound, (4, 4))
    assert kept.tolist() == [0, 0, 1, 1]


def test_a_compound_move_never_cuts_a_part_in_two() -> None:
    # moving node 1 (the compound's piece in part 1) would leave part 1 as 0 and 2, apart
    compound = np.array([None, "乙小区", None, "乙小区", "乙小区"], dtype=object)
    labels = np.array([1, 1, 1, 0, 0])
    out = partition.keep_compounds(labels, _path(5), np.ones(5), compound, (0, 100))
    assert out.tolist() == [1, 1, 1, 0, 0]
    # once node 2 belongs to part 0 as well, node 1 may join: both parts stay in one piece
    out = partition.keep_compounds(np.array([1, 1, 0, 0, 0]), _path(5), np.ones(5), compound,
                                   (0, 100))
    assert out.tolist() == [1, 0, 0, 0, 0]
    assert all(connected_components(_path(5)[out == k][:, out == k])[0] == 1 for k in (0, 1))
