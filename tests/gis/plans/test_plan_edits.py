"""Manual redraw inside a plan: move, merge, split, replace — same rules and metrics."""

from __future__ import annotations

import pandas as pd
import pytest
from shapely import LineString, box
from shapely.geometry import mapping
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans
from gis.core.errors import InvalidGeometry, InvalidInput
from gis.grids.household_rules import LoadRules
from gis.plans import refresh
from tests.gis.plans.test_plans import adjacency_pieces
from tests.plan_cases import make_lattice


def _plan(session: Session):  # type: ignore[no-untyped-def]
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    return plans.create_plan(session, kind="balance", scope_code=community, created_by="t")


def _grids(session: Session, plan_id: int):  # type: ignore[no-untyped-def]
    return plans.list_plan_grids(session, plan_id).set_index("seq")


def _tiles(session: Session, plan_id: int) -> None:
    union_area, sum_area, community_area = session.execute(text("""
        SELECT ST_Area(ST_Union(pg.geom)), sum(ST_Area(pg.geom)), ST_Area(r.geom)
        FROM plan_grid pg JOIN region r ON r.code = pg.community_code
        WHERE pg.plan_id = :p GROUP BY r.geom"""), {"p": plan_id}).one()
    assert union_area == pytest.approx(community_area, rel=1e-6)
    assert sum_area == pytest.approx(community_area, rel=1e-6)


def _where(session: Session, plan_id: int, code: str) -> int:
    return session.execute(text("""
        SELECT pg.seq FROM plan_building pb JOIN building b ON b.id = pb.building_id
        JOIN plan_grid pg ON pg.id = pb.plan_grid_id WHERE pb.plan_id = :p AND b.code = :c"""),
        {"p": plan_id, "c": code}).scalar_one()


def _neighbour_pair(session: Session, plan_id: int) -> tuple[int, int, str]:
    """Two touching new grids and a building of the first that touches the second's edge."""
    row = session.execute(text("""
        SELECT a.seq AS a, c.seq AS c, b.code FROM plan_grid a
        JOIN plan_grid c ON c.plan_id = a.plan_id AND c.seq <> a.seq
             AND ST_Intersects(a.geom, c.geom) AND c.source_grid_id IS NULL
        JOIN plan_building pb ON pb.plan_grid_id = a.id JOIN building b ON b.id = pb.building_id
        WHERE a.plan_id = :p AND a.source_grid_id IS NULL
        ORDER BY ST_Distance(b.geom, c.geom), a.seq, c.seq LIMIT 1"""),
        {"p": plan_id}).one()
    return row.a, row.c, row.code


def test_move_buildings_to_a_neighbour(session: Session) -> None:
    plan = _plan(session)
    a, c, code = _neighbour_pair(session, plan.id)
    before = _grids(session, plan.id)
    plans.edit_plan(session, plan.id, {"op": "move", "buildings": [code], "to_seq": c},
                    actor="t")
    after = _grids(session, plan.id)
    assert after.loc[a, "households"] == before.loc[a, "households"] - 50
    assert after.loc[c, "households"] == before.loc[c, "households"] + 50
    assert _where(session, plan.id, code) == c
    covered = session.execute(text("""
        SELECT ST_Covers(pg.geom, ST_PointOnSurface(b.geom)) FROM plan_grid pg, building b
        WHERE pg.plan_id = :p AND pg.seq = :c AND b.code = :code"""),
        {"p": plan.id, "c": c, "code": code}).scalar()
    assert covered
    _tiles(session, plan.id)
    assert plan.metrics["edits"] == 1 and plan.version == 2
    assert plan.metrics["after"]["grids"] == len(after)
    # the building nearest the neighbour's edge may meet its buildings only at a corner (a
    # lattice diagonal): exactly the grids in several pieces are flagged noncontiguous
    split = adjacency_pieces(session, plan.id)
    assert set(after.index[after["flag"] == "noncontiguous"]) == set(split.index[split > 1])


def test_a_grid_cut_in_two_is_flagged_until_joined_again(session: Session) -> None:
    """G3 (kept: columns 8–9, 500 households) loses its middle row (L82, L92) to the grid
    holding L72 (450 → 550, oversized but whole): G3 is left in two pieces (400 households,
    in range), flagged noncontiguous though its households are fine; moving the row back
    makes it whole and clears every flag."""
    plan = _plan(session)
    g3, west = _where(session, plan.id, "L80"), _where(session, plan.id, "L72")
    row = ["L82", "L92"]
    plans.edit_plan(session, plan.id, {"op": "move", "buildings": row, "to_seq": west},
                    actor="t")
    cut = _grids(session, plan.id)
    assert (cut.loc[g3, "households"], cut.loc[west, "households"]) == (400, 550)
    assert cut["flag"].dropna().to_dict() == {west: "oversized", g3: "noncontiguous"}
    flags = {f["seq"]: f for f in plan.metrics["flags"]}
    assert flags[g3]["flag"] == "noncontiguous" and flags[west]["flag"] == "oversized"
    assert "2 片" in flags[g3]["reason"] and "2 pieces" in flags[g3]["reason"]
    assert "550 户超过上限 500" in flags[west]["reason"]
    _tiles(session, plan.id)  # G3's two pieces meet at a point: it keeps both as its shape
    plans.edit_plan(session, plan.id, {"op": "move", "buildings": row, "to_seq": g3},
                    actor="t")
    joined = _grids(session, plan.id)
    assert joined.loc[g3, "households"] == 500 and joined["flag"].isna().all()
    assert plan.metrics["flags"] == [] and plan.metrics["edits"] == 2


def test_grid_flags_put_contiguity_first_and_name_every_problem() -> None:
    grids = pd.DataFrame({"kind": ["residential", "residential", "residential", "commercial",
                                   "residential"],
                          "households": [600, 450, 200, 0, 0], "buildings": [12, 9, 4, 0, 0],
                          "pieces": [1, 2, 3, 0, 0]})
    out = refresh.grid_flags(grids, LoadRules(residential_min=300, residential_max=500,
                                              exempt_kinds=("commercial",)))
    assert out["flag"].tolist()[:3] == ["oversized", "noncontiguous", "noncontiguous"]
    assert pd.isna(out["flag"].iloc[3])  # exempt kind, no buildings: nothing to flag
    assert out["flag"].iloc[4] == "undersized"
    assert out["reason"].tolist() == [
        "600 户超过上限 500 (above 500)",
        "网格被分成 2 片互不相邻的部分 (in 2 pieces: not contiguous)",
        "网格被分成 3 片互不相邻的部分 (in 3 pieces: not contiguous)；200 户低于下限 300 "
        "(below 300)", "", "0 户低于下限 300 (below 300)；没有建筑 (no buildings)"]


def test_merge_two_grids_flags_the_result(session: Session) -> None:
    plan = _plan(session)
    a, c, _ = _neighbour_pair(session, plan.id)
    before = _grids(session, plan.id)
    plans.edit_plan(session, plan.id, {"op": "merge", "seqs": [a, c]}, actor="t")
    after = _grids(session, plan.id)
    assert c not in after.index and len(after) == len(before) - 1
    total = before.loc[a, "households"] + before.loc[c, "households"]
    assert after.loc[a, "households"] == total
    # grids touching only at a corner merge into two pieces: that flag comes first, and the
    # reason still names the households
    split = adjacency_pieces(session, plan.id)[a] > 1
    assert after.loc[a, "flag"] == ("noncontiguous" if split else
                                    "oversized" if total > 500 else None)
    reasons = {f["seq"]: f["reason"] for f in plan.metrics["flags"]}
    assert (f"{total} 户超过上限 500" in reasons.get(a, "")) == (total > 500)
    _tiles(session, plan.id)


def test_split_along_a_line_and_replace_a_boundary(session: Session) -> None:
    plan = _plan(session)
    grids = _grids(session, plan.id)
    kept = grids[grids["source_grid_id"].notna()].index[0]  # G3 (in range) was kept
    # G3 spans lon 119.216–119.22: cut it at 119.218 (between building columns 8 and 9)
    line = LineString([(119.218, 34.59), (119.218, 34.62)])
    plans.edit_plan(session, plan.id, {"op": "split", "seq": int(kept),
                                       "line": mapping(line)}, actor="t")
    after = _grids(session, plan.id)
    assert len(after) == len(grids) + 1
    assert after.loc[kept, "households"] == 250 and after.loc[after.index.max(),
                                                               "households"] == 250
    assert pd_isna(after.loc[kept, "source_grid_id"])  # no longer the kept grid
    assert plan.params["retired"] and _tiles(session, plan.id) is None
    # give the west half back the whole strip by drawing its new boundary
    strip = box(119.216, 34.59, 119.23, 34.62)
    plans.edit_plan(session, plan.id, {"op": "replace", "seq": int(kept),
                                       "polygon": mapping(strip)}, actor="t")
    final = _grids(session, plan.id)
    assert final.loc[kept, "households"] == 500
    assert final.loc[after.index.max(), "households"] == 0
    _tiles(session, plan.id)


def test_drawn_shapes_without_a_grid_number_pick_the_grid_under_them(session: Session) -> None:
    """The review map posts a drawn line or polygon alone: the grid it crosses longest or
    overlaps most is the one edited."""
    plan = _plan(session)
    grids = _grids(session, plan.id)
    kept = int(grids[grids["source_grid_id"].notna()].index[0])  # G3, lon 119.216–119.22
    line = LineString([(119.218, 34.59), (119.218, 34.62)])
    plans.edit_plan(session, plan.id, {"op": "split", "line": mapping(line)}, actor="t")
    after = _grids(session, plan.id)
    assert len(after) == len(grids) + 1 and after.loc[kept, "households"] == 250
    newest = int(after.index.max())
    # mostly over the new east half (119.218–119.22), a sliver over the grid east of it
    plans.edit_plan(session, plan.id, {"op": "replace", "polygon": mapping(
        box(119.2165, 34.60, 119.2205, 34.61))}, actor="t")
    final = _grids(session, plan.id)
    assert final.loc[newest, "households"] == 500 and final.loc[kept, "households"] == 0
    with pytest.raises(InvalidGeometry, match="no grid"):
        plans.edit_plan(session, plan.id, {"op": "split", "line": mapping(
            LineString([(119.25, 34.5), (119.26, 34.51)]))}, actor="t")


def test_bad_edits_are_refused(session: Session) -> None:
    plan = _plan(session)
    grids = _grids(session, plan.id)
    with pytest.raises(InvalidInput):
        plans.edit_plan(session, plan.id, {"op": "teleport"}, actor="t")
    with pytest.raises(InvalidGeometry):
        plans.edit_plan(session, plan.id, {"op": "split", "seq": int(grids.index[0]),
                                           "line": mapping(LineString([(119.3, 34.7),
                                                                       (119.31, 34.71)]))},
                        actor="t")
    far = session.execute(text("""
        SELECT a.seq, c.seq, (SELECT b.code FROM plan_building pb JOIN building b
                               ON b.id = pb.building_id WHERE pb.plan_grid_id = a.id LIMIT 1)
        FROM plan_grid a JOIN plan_grid c ON c.plan_id = a.plan_id
             AND NOT ST_Intersects(a.geom, c.geom)
        WHERE a.plan_id = :p LIMIT 1"""), {"p": plan.id}).one()
    with pytest.raises(InvalidInput):
        plans.edit_plan(session, plan.id, {"op": "move", "buildings": [far[2]],
                                           "to_seq": far[1]}, actor="t")


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _touching_pair(session: Session, plan_id: int, *, other_than: str | None = None
                   ) -> tuple[int, int, str, str]:
    """Two touching grids of one community (not ``other_than``), and the building of the
    first farthest from the second: moved there, it leaves the second in two pieces."""
    row = session.execute(text("""
        SELECT a.seq AS a, c.seq AS c, a.community_code, b.code FROM plan_grid a
        JOIN plan_grid c ON c.plan_id = a.plan_id AND c.seq <> a.seq
             AND c.community_code = a.community_code AND ST_Intersects(a.geom, c.geom)
        JOIN plan_building pb ON pb.plan_grid_id = a.id JOIN building b ON b.id = pb.building_id
        WHERE a.plan_id = :p AND a.community_code IS DISTINCT FROM :other
        ORDER BY a.seq, c.seq, ST_Distance(b.geom, c.geom) DESC LIMIT 1"""),
        {"p": plan_id, "other": other_than}).one()
    return row.a, row.c, row.community_code, row.code


def _flag_state(session: Session, plan) -> tuple[dict, list]:  # type: ignore[no-untyped-def]
    """Every grid's stored flag ("" for none), and the plan's list of flagged grids."""
    return _grids(session, plan.id)["flag"].fillna("").to_dict(), list(plan.metrics["flags"])


def _full_state(session: Session, plan) -> tuple[dict, list]:  # type: ignore[no-untyped-def]
    """The flags a whole-plan refresh gives, undone afterwards (a savepoint)."""
    nested = session.begin_nested()
    refresh.refresh_plan(session, plan, None)
    state = _flag_state(session, plan)
    nested.rollback()
    return state


def test_an_edit_refreshes_contiguity_of_its_community_only_same_as_whole_plan(
        demo_session: Session) -> None:
    """Demo subdistrict (several communities): a move that cuts a grid, a merge in another
    community (whose refresh keeps the cut grid's stored flag), the move back: after each
    edit the flags equal a whole-plan recomputation."""
    s = demo_session
    plan = plans.create_plan(s, kind="balance", scope_code="320706013000", created_by="t")
    a, c, home, code = _touching_pair(s, plan.id)
    x, y, elsewhere, _ = _touching_pair(s, plan.id, other_than=home)
    assert elsewhere != home
    states = []
    for edit in ({"op": "move", "buildings": [code], "to_seq": c},
                 {"op": "merge", "seqs": [x, y]},
                 {"op": "move", "buildings": [code], "to_seq": a}):
        plans.edit_plan(s, plan.id, edit, actor="t")
        states.append(_flag_state(s, plan))
        assert states[-1] == _full_state(s, plan)
    cut, merged, back = (state[0] for state in states)
    assert cut[c] == merged[c] == "noncontiguous" and back[c] != "noncontiguous"
    assert y not in merged and plan.metrics["edits"] == 3
