"""Plans on hand-checked lattices (tests/plan_cases.py) and on the demo district."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely import box
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans
from gis.core.errors import Conflict, PreconditionFailed
from gis.models import Grid
from gis.plans import atoms
from tests.builders import make_building, make_event, make_grid, make_region, make_worker
from tests.plan_cases import PAST, building_box, make_lattice


def _grids(session: Session, plan_id: int):  # type: ignore[no-untyped-def]
    return plans.list_plan_grids(session, plan_id).set_index("seq")


def adjacency_pieces(session: Session, plan_id: int) -> pd.Series:
    """Per proposed grid (seq): how many pieces its buildings form in the planner's
    adjacency graph (gis.plans.atoms: building cells of one community sharing a boundary,
    never across water); a contiguous grid has exactly one."""
    plan = plans.get_plan(session, plan_id)
    scope = atoms.load_scope(session, plan.scope_code)
    where = dict(session.execute(text("""
        SELECT pb.building_id, pg.seq FROM plan_building pb
        JOIN plan_grid pg ON pg.id = pb.plan_grid_id WHERE pb.plan_id = :p"""),
        {"p": plan_id}).all())
    seq = scope.atoms["building_id"].map(where).to_numpy(dtype="float64", na_value=np.nan)
    edges = scope.adjacency.tocoo()
    same = seq[edges.row] == seq[edges.col]  # NaN (no grid) never equals
    graph = sparse.coo_matrix((np.ones(int(same.sum())), (edges.row[same], edges.col[same])),
                              shape=edges.shape)
    _, comp = connected_components(graph, directed=False)
    placed = ~np.isnan(seq)
    return pd.Series(comp[placed]).groupby(seq[placed].astype(int)).nunique()


def assert_contiguous_inside_community(session: Session, plan_id: int) -> None:
    """Every new grid lies inside its community, holds its buildings and is contiguous: its
    buildings are one connected piece of the adjacency graph. Cut-off clusters that found
    no grid to join are grids of their own, flagged undersized with the reason."""
    outside = session.execute(text("""
        SELECT pg.seq FROM plan_grid pg JOIN region r ON r.code = pg.community_code
        WHERE pg.plan_id = :p AND pg.source_grid_id IS NULL
          AND NOT ST_CoveredBy(pg.geom, ST_Buffer(r.geom, 1e-7))"""),
        {"p": plan_id}).scalars().all()
    assert outside == []
    grids = _grids(session, plan_id)
    pieces = adjacency_pieces(session, plan_id)
    new = grids.index[grids["source_grid_id"].isna()]
    split = pieces.reindex(new).dropna()
    assert (split == 1).all(), f"new grids in several pieces: {split[split > 1].to_dict()}"
    outside = session.execute(text("""
        SELECT b.code FROM plan_building pb JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        JOIN building b ON b.id = pb.building_id
        WHERE pb.plan_id = :p AND NOT ST_Covers(pg.geom, ST_PointOnSurface(b.geom))"""),
        {"p": plan_id}).scalars().all()
    assert outside == []


def assert_every_grid_contiguous_or_explained(session: Session, plan_id: int, *,
                                              may_stay_split: set[int]) -> None:
    """Every proposed grid, kept ones included, is one piece of the adjacency graph, but for
    kept grids that may not change (``may_stay_split``: locked), flagged with the reason.
    Clusters cut off with nothing to join are grids of their own, flagged and explained."""
    plan = plans.get_plan(session, plan_id)
    grids = _grids(session, plan_id)
    pieces = adjacency_pieces(session, plan_id)
    reasons = {f["seq"]: f["reason"] for f in plan.metrics["flags"]}
    for seq in pieces.index[pieces > 1]:
        assert grids.loc[seq, "source_grid_id"] in may_stay_split, (seq, pieces[seq])
        assert f"{pieces[seq]} 片" in reasons[seq], reasons.get(seq)
    cut_off = [q for q, r in reasons.items() if "隔开" in r]
    assert len(cut_off) == plan.metrics["cut_off_grids"]
    assert (grids.loc[cut_off, "flag"] == "undersized").all()


def assert_shares_sum_to_one(session: Session, plan_id: int) -> None:
    sums = session.execute(text("SELECT sum(share) FROM plan_crosswalk WHERE plan_id = :p "
                                "GROUP BY old_grid_id"), {"p": plan_id}).scalars().all()
    assert sums and all(abs(s - 1) < 1e-9 for s in sums)


def test_balance_splits_oversized_and_merges_undersized(session: Session) -> None:
    community, _, _ = make_lattice(session)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    proposed = _grids(session, plan.id)
    # G1 1250 → 3 grids, G2 750 → 2 grids, G3 400 + G4 100 → one grid of 500
    assert len(proposed) == 6
    assert proposed["households"].between(300, 500).all()
    assert proposed["households"].sum() == 2500
    assert sorted(proposed["households"])[-1] == 500
    assert plan.metrics["after"]["share_in_range"] == 1.0
    assert plan.metrics["before"]["in_range"] == 1
    assert_contiguous_inside_community(session, plan.id)
    # the new grids tile the community: no gap, no overlap
    union_area, sum_area, community_area = session.execute(text("""
        SELECT ST_Area(ST_Union(pg.geom)), sum(ST_Area(pg.geom)), ST_Area(r.geom)
        FROM plan_grid pg JOIN region r ON r.code = pg.community_code
        WHERE pg.plan_id = :p GROUP BY r.geom"""), {"p": plan.id}).one()
    assert union_area == pytest.approx(community_area, rel=1e-7)
    assert sum_area == pytest.approx(community_area, rel=1e-7)


def test_balance_keeps_grids_in_range_and_locked_ones(session: Session) -> None:
    community, grids, _ = make_lattice(session, merged_g3_g4=True, locked=("G2",))
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    proposed = _grids(session, plan.id)
    kept = proposed[proposed["source_grid_id"].notna()].set_index("source_grid_id")
    assert set(kept.index) == {grids["G2"].id, grids["G3"].id}
    assert kept.loc[grids["G2"].id, "flag"] == "oversized"  # locked: flagged, not changed
    same = session.execute(text("""
        SELECT bool_and(ST_Equals(pg.geom, g.geom)) FROM plan_grid pg
        JOIN grid g ON g.id = pg.source_grid_id WHERE pg.plan_id = :p"""),
        {"p": plan.id}).scalar()
    assert same
    assert plan.params["retired"] == [grids["G1"].id]
    assert plan.metrics["buildings_moved"] == 0  # G1 split: each part's successor is G1


def test_infeasible_cases_are_flagged(session: Session) -> None:
    small = make_region(session, code="320706913002", geom=box(119.30, 34.60, 119.31, 34.61))
    g = make_grid(session, community_code=small.code, geom=box(119.30, 34.60, 119.31, 34.61))
    for i in range(4):
        make_building(session, households=50, community_code=small.code, grid=g,
                      geom=box(119.301 + 0.002 * i, 34.601, 119.3015 + 0.002 * i, 34.6015))
    plan = plans.create_plan(session, kind="merge", scope_code=small.code, created_by="t",
                             themes=("party",))
    [row] = _grids(session, plan.id).itertuples()
    assert (row.households, row.flag) == (200, "undersized")
    assert "200" in plan.metrics["flags"][0]["reason"]

    tower = make_region(session, code="320706913003", geom=box(119.40, 34.60, 119.41, 34.61))
    t = make_grid(session, community_code=tower.code, geom=box(119.40, 34.60, 119.41, 34.61))
    make_building(session, households=900, community_code=tower.code, grid=t,
                  geom=box(119.401, 34.601, 119.402, 34.602))
    for i in range(8):
        make_building(session, households=50, community_code=tower.code, grid=t,
                      geom=box(119.404 + 0.0007 * i, 34.605, 119.4044 + 0.0007 * i, 34.6054))
    plan = plans.create_plan(session, kind="balance", scope_code=tower.code, created_by="t")
    proposed = _grids(session, plan.id)
    assert sorted(proposed["households"]) == [400, 900]
    assert proposed.set_index("households").loc[900, "flag"] == "oversized"


def _cut_off_corner(session: Session, *, locked: tuple[str, ...] = ()) -> str:
    """The lattice with G3+G4 merged (500), but its two south-east buildings L90, L91 (100
    households) belong to G1 far to the west: G1's polygon has a detached corner there, so
    in the adjacency graph G1 is two pieces and the corner touches only G3."""
    community, grids, buildings = make_lattice(session, merged_g3_g4=True, locked=locked)
    corner = "ST_MakeEnvelope(119.218, 34.60, 119.22, 34.604, 4490)"
    session.execute(text(f"""
        UPDATE grid SET geom = ST_Multi(CASE WHEN id = :g1 THEN ST_Union(geom, {corner})
                                        ELSE ST_Difference(geom, {corner}) END)
        WHERE id IN (:g1, :g3)"""), {"g1": grids["G1"].id, "g3": grids["G3"].id})
    for b in buildings:
        if b.code in ("L90", "L91"):
            b.grid_id = grids["G1"].id
    session.flush()
    return community


def _grid_of(session: Session, plan_id: int, code: str) -> int:
    return session.execute(text("""
        SELECT pg.seq FROM plan_building pb JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        JOIN building b ON b.id = pb.building_id WHERE pb.plan_id = :p AND b.code = :c"""),
        {"p": plan_id, "c": code}).scalar_one()


def test_cut_off_cluster_joins_the_grid_it_touches(session: Session) -> None:
    community = _cut_off_corner(session)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    proposed = _grids(session, plan.id)
    # G1 (1250 + a 100-household corner) splits in 3; the corner joins G3's 400 → 500,
    # not the nearest G1 buildings across G2; G2 750 → 2
    assert len(proposed) == 6 and proposed["households"].between(300, 500).all()
    corner = _grid_of(session, plan.id, "L90")
    assert _grid_of(session, plan.id, "L91") == corner == _grid_of(session, plan.id, "L94")
    assert proposed.loc[corner, "households"] == 500
    assert _grid_of(session, plan.id, "L00") != corner
    assert plan.metrics["cut_off_grids"] == 0
    assert_contiguous_inside_community(session, plan.id)
    assert_every_grid_contiguous_or_explained(session, plan.id, may_stay_split=set())


def test_cut_off_cluster_with_nothing_to_join_is_its_own_flagged_grid(session: Session) -> None:
    community = _cut_off_corner(session, locked=("G3",))  # the only grid the corner touches
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    proposed = _grids(session, plan.id)
    corner = _grid_of(session, plan.id, "L90")
    assert _grid_of(session, plan.id, "L91") == corner
    assert (proposed.loc[corner, "households"], proposed.loc[corner, "flag"]) == (100,
                                                                                "undersized")
    reason = next(f["reason"] for f in plan.metrics["flags"] if f["seq"] == corner)
    assert "隔开" in reason and "100" in reason
    assert plan.metrics["cut_off_grids"] == 1
    assert_every_grid_contiguous_or_explained(session, plan.id, may_stay_split=set())


def test_merge_keeps_thematic_households_together(session: Session) -> None:
    community, _, buildings = make_lattice(session, theme="party")
    for b in buildings:
        b.grid_id = None
    session.flush()
    plan = plans.create_plan(session, kind="merge", scope_code=community, created_by="t",
                             themes=("party",))
    proposed = _grids(session, plan.id)
    assert proposed["households"].between(300, 500).all()
    assert proposed["households"].sum() == 2500
    assert_contiguous_inside_community(session, plan.id)
    walk = plans.list_crosswalk(session, plan.id)
    assert set(walk["old_theme"]) == {"party"}
    assert_shares_sum_to_one(session, plan.id)
    # G3+G4 of the party layer (500 households together) stay in one unified grid
    assert walk.set_index("old_code").loc[f"{community}003", "share"] == 1.0


def test_apply_then_history_gives_old_and_new_grid(session: Session) -> None:
    community, grids, buildings = make_lattice(session, valid_from=PAST)
    worker = make_worker(session, grids=[grids["G1"]])
    event = make_event(session, grid=grids["G1"], geom=building_box(0, 0).centroid)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    changes = plans.apply_plan(session, plan.id, actor="t", expected=1,
                               confirm_unstaffed=True)
    assert plan.version == 2
    assert sorted(changes["grids_retired"]) == sorted(g.code for g in grids.values())
    assert len(changes["grids_created"]) == 6
    # numbered after the highest sequence used before: 005..010, west to east
    assert changes["grids_created"] == [f"{community}{n:03d}" for n in range(5, 11)]
    assert changes["workers_carried"][0]["worker_code"] == worker.code
    [moved_event] = changes["events_reassigned"]
    assert moved_event["event_id"] == event.id
    history = plans.list_building_grid_history(session, buildings[0].code)
    assert list(history["grid_code"][:1]) == [grids["G1"].code]
    assert len(history) == 2 and history["valid_to"].isna().iloc[1]
    then = plans.list_building_grid_history(session, buildings[0].code,
                                            at=datetime(2021, 6, 1, tzinfo=UTC))
    assert list(then["grid_code"]) == [grids["G1"].code]
    now = plans.list_building_grid_history(session, buildings[0].code,
                                           at=datetime.now(UTC) + timedelta(days=1))
    assert list(now["grid_code"]) == [history["grid_code"].iloc[1]]
    assert session.get(Grid, grids["G1"].id).valid_to is not None
    with pytest.raises(Conflict):
        plans.apply_plan(session, plan.id, actor="t")


def _snapshot(session: Session) -> tuple:
    grids = session.execute(text("SELECT id, code, valid_to, version FROM grid ORDER BY id")).all()
    links = session.execute(text("SELECT id, grid_id FROM building ORDER BY id")).all()
    events = session.execute(text("SELECT id, grid_id FROM event ORDER BY id")).all()
    status = session.execute(text("SELECT id, status, version FROM plan ORDER BY id")).all()
    return grids, links, events, status


def test_failure_in_the_middle_changes_nothing(session: Session) -> None:
    community, grids, _ = make_lattice(session, valid_from=PAST)
    make_event(session, grid=grids["G1"], geom=building_box(0, 0).centroid)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    # a real failure after the old grids are ended: one proposed grid becomes a self-crossing
    # bow-tie, which the grid table's ST_IsValid check refuses on insert
    session.execute(text("""
        UPDATE plan_grid SET geom = ST_Multi(ST_GeomFromText(
            'POLYGON((119.2 34.6, 119.21 34.61, 119.21 34.6, 119.2 34.61, 119.2 34.6))', 4490))
        WHERE plan_id = :p AND seq = 3"""), {"p": plan.id})
    before = _snapshot(session)
    with pytest.raises(Conflict) as info:
        plans.apply_plan(session, plan.id, actor="t", confirm_unstaffed=True)
    assert "nothing was changed" in info.value.message
    assert info.value.details["constraint"] == "ck_grid_geom_valid"
    assert _snapshot(session) == before


def test_version_conflict_is_refused(session: Session) -> None:
    community, grids, _ = make_lattice(session, valid_from=PAST)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    session.execute(text("UPDATE grid SET version = version + 1 WHERE id = :g"),
                    {"g": grids["G3"].id})
    with pytest.raises(Conflict) as info:
        plans.apply_plan(session, plan.id, actor="t")
    assert grids["G3"].code in info.value.message


def test_reject(session: Session) -> None:
    community, _, _ = make_lattice(session)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    assert plan.version == 1
    with pytest.raises(PreconditionFailed) as info:  # a writer that saw another version
        plans.reject_plan(session, plan.id, actor="t", expected=2)
    assert info.value.details["version"] == 1 and plan.status == "draft"
    assert plans.reject_plan(session, plan.id, actor="t", expected=1).status == "rejected"
    assert plan.version == 2
    with pytest.raises(Conflict):
        plans.apply_plan(session, plan.id, actor="t")
    assert plan.version == 2


DEMO_SUBDISTRICT = "320706013000"


def test_demo_balance(demo_session: Session) -> None:
    s = demo_session
    oversized = s.execute(text("""
        SELECT g.id FROM grid g JOIN building b ON b.grid_id = g.id
        WHERE g.theme = 'unified' AND g.valid_to IS NULL AND g.kind = 'residential'
        GROUP BY g.id HAVING sum(b.households) > 500 ORDER BY g.code LIMIT 1""")).scalar_one()
    s.execute(text("UPDATE grid SET locked = true WHERE id = :g"), {"g": oversized})
    plan = plans.create_plan(s, kind="balance", scope_code=DEMO_SUBDISTRICT, created_by="t")
    assert_contiguous_inside_community(s, plan.id)
    assert_every_grid_contiguous_or_explained(s, plan.id, may_stay_split={oversized})
    proposed = plans.list_plan_grids(s, plan.id)
    assert oversized in set(proposed["source_grid_id"].dropna())
    assert oversized not in plan.params["retired"]
    residential = proposed[proposed["kind"] == "residential"]
    out = residential[~residential["households"].between(300, 500)]
    # every grid out of range is flagged and explained (the locked one among them)
    assert out["flag"].notna().all()
    assert len(out) <= 0.1 * len(residential)
    assert plan.metrics["after"]["share_in_range"] > plan.metrics["before"]["share_in_range"]


def test_demo_merge_crosswalk(demo_session: Session) -> None:
    plan = plans.create_plan(demo_session, kind="merge", scope_code="320706013001",
                             created_by="t")
    assert_contiguous_inside_community(demo_session, plan.id)
    assert_every_grid_contiguous_or_explained(demo_session, plan.id, may_stay_split=set())
    walk = plans.list_crosswalk(demo_session, plan.id)
    assert {"party", "security", "civil"} <= set(walk["old_theme"])
    assert_shares_sum_to_one(demo_session, plan.id)
    proposed = plans.list_plan_grids(demo_session, plan.id)
    new = proposed[proposed["source_grid_id"].isna()]
    assert (new["households"].between(300, 500) | new["flag"].notna()).all()


def test_applied_grids_pass_topology_qa(session: Session) -> None:
    from gis.grids import qa

    community, _, _ = make_lattice(session, valid_from=PAST)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    plans.apply_plan(session, plan.id, actor="t", confirm_unstaffed=True)
    issues = qa.list_qa_issues(session, scope_code=community, theme="unified")
    assert issues[~issues["check"].str.endswith("_sliver")].empty, issues[["check", "area_m2"]]
    assert issues["area_m2"].sum() < 1.0  # at most rounding crumbs
