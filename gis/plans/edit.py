"""Manual redraw inside a draft plan, with the same rules, metrics and warnings.

Four edits (geometry in EPSG:4490 lon/lat, e.g. drawn on the review map):
* ``move``: selected buildings go to a neighbouring proposed grid; shapes follow the
  buildings (building cells re-tiled over the grids involved);
* ``merge``: two touching proposed grids of one community become one;
* ``split``: a proposed grid is cut along a drawn line; buildings follow by most-of-area;
* ``replace``: a proposed grid's boundary becomes a drawn/uploaded polygon (clipped to the
  community, taken out of its neighbours); buildings follow by most-of-area.
A kept grid touched by an edit becomes a new grid (its old grid will be retired on apply).
Afterwards households, compactness, flags, crosswalk and metrics are recomputed (refresh).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely import ops
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from gis.core import crs, sql, vertices
from gis.core.errors import InvalidGeometry, InvalidInput, NotFound
from gis.models import AuditLog, Plan
from gis.plans import atoms, groups, lock, shaping
from gis.plans.refresh import refresh_plan
from gis.plans.store import write_geometries

OPS = ("move", "merge", "split", "replace")


def edit_plan(session: Session, plan_id: int, edit: dict[str, Any], *, actor: str,
              expected: int | None = None, max_vertices: int | None = None) -> Plan:
    """Apply one manual ``edit`` (see the module docstring) to draft plan ``plan_id``;
    ``expected``: the version the editor saw (see lock.lock_draft); a drawn geometry of more
    than ``max_vertices`` vertices is InvalidGeometry."""
    plan = lock.lock_draft(session, plan_id, expected=expected)
    op = edit.get("op")
    if op == "move":
        community = _move(session, plan, list(edit.get("buildings") or []),
                          int(edit.get("to_seq", 0)))
    elif op == "merge":
        seqs = [int(s) for s in edit.get("seqs") or []]
        if len(seqs) != 2 or seqs[0] == seqs[1]:
            raise InvalidInput("merge takes two different grid numbers: seqs=[a, b]")
        community = _merge(session, plan, *seqs)
    elif op == "split":
        line = _geometry(edit.get("line"), "LineString", max_vertices)
        community = _split(session, plan, _seq_under(session, plan, edit.get("seq"), line), line)
    elif op == "replace":
        polygon = _geometry(edit.get("polygon"), "Polygon", max_vertices)
        seq = _seq_under(session, plan, edit.get("seq"), polygon)
        community = _replace(session, plan, seq, polygon)
    else:
        raise InvalidInput(f"unknown edit '{op}': use one of {', '.join(OPS)}")
    session.add(AuditLog(actor=actor, action=f"plan_edit_{op}", target=f"plan:{plan.id}"))
    # an edit changes buildings and grids of one community only: contiguity (cells, their
    # adjacency) is recomputed there alone. Timed on the demo subdistrict (2,529 buildings,
    # 6 communities), medians of 3-4 edits in two runs (perf_counter): with the whole area's
    # cells a move took 1.46-1.50 s, a merge 1.18-1.49 s; with the edited community's a move
    # 0.59-0.64 s (half of it _retile), a merge 0.34-0.35 s
    refresh_plan(session, plan, [community])
    lock.bump(session, plan)
    return plan


def _geometry(value: Any, kind: str, max_vertices: int | None) -> BaseGeometry:
    """A GeoJSON geometry (lon/lat) of ``kind`` (Multi- allowed), checked; ``value`` is
    whatever the edit's JSON held there."""
    try:
        geom = shape(value)
    except Exception:
        raise InvalidGeometry(f"expected a GeoJSON {kind} in lon/lat") from None
    if kind not in geom.geom_type or geom.is_empty:
        raise InvalidGeometry(f"expected a GeoJSON {kind}; got {geom.geom_type}")
    vertices.check(geom, max_vertices, f"the drawn {kind.lower()}")
    xy = shapely.get_coordinates(geom)
    crs.check_in_china(xy[:, 0], xy[:, 1])
    return shapely.make_valid(geom) if kind == "Polygon" else geom


def _seq_under(session: Session, plan: Plan, seq: int | str | None,
               geom: BaseGeometry) -> int:
    """``seq`` when given, else the proposed grid a drawn line crosses longest or a drawn
    polygon (EPSG:4490) overlaps most: the review map sends a drawn line without a grid."""
    if seq is not None:
        return int(seq)
    found = session.execute(text("""
        SELECT seq FROM plan_grid,
             LATERAL (SELECT ST_Intersection(geom, ST_GeomFromEWKB(:g)) AS x) i
        WHERE plan_id = :p AND ST_Intersects(geom, ST_GeomFromEWKB(:g))
        ORDER BY ST_Length(i.x) + ST_Area(i.x) DESC, seq LIMIT 1"""),
        {"p": plan.id, "g": shapely.to_wkb(shapely.set_srid(geom, 4490), include_srid=True)}
    ).scalar()
    if found is None:
        raise InvalidGeometry(f"the drawn shape lies in no grid of plan {plan.id}")
    return int(found)


def _grid(session: Session, plan: Plan, seq: int) -> Row[Any]:
    row = session.execute(text("""
        SELECT id, seq, community_code, source_grid_id, ST_AsBinary(geom) AS wkb
        FROM plan_grid WHERE plan_id = :p AND seq = :s"""), {"p": plan.id, "s": seq}).first()
    if row is None:
        raise NotFound(f"plan {plan.id} has no grid #{seq}")
    return row


def _touches(session: Session, a: int, b: int) -> bool:
    return bool(session.execute(text("""
        SELECT ST_Intersects(x.geom, y.geom) FROM plan_grid x, plan_grid y
        WHERE x.id = :a AND y.id = :b"""), {"a": a, "b": b}).scalar())


def _unkeep(session: Session, plan: Plan, ids: list[int]) -> None:
    """Kept grids that an edit touches become new grids; their old grids retire on apply."""
    rows = session.execute(text("""
        UPDATE plan_grid pg SET source_grid_id = NULL FROM plan_grid old
        WHERE pg.id = old.id AND pg.id = ANY(:ids) AND old.source_grid_id IS NOT NULL
        RETURNING old.source_grid_id"""), {"ids": ids}).scalars().all()
    if rows:
        plan.params = {**plan.params,
                       "retired": sorted({*plan.params.get("retired", []), *map(int, rows)})}


def _move(session: Session, plan: Plan, codes: list[str], to_seq: int) -> str:
    target = _grid(session, plan, to_seq)
    rows = session.execute(text("""
        SELECT b.code, b.community_code, pb.plan_grid_id FROM plan_building pb
        JOIN building b ON b.id = pb.building_id
        WHERE pb.plan_id = :p AND b.code = ANY(:codes)"""),
        {"p": plan.id, "codes": codes}).all()
    missing = sorted(set(codes) - {r.code for r in rows})
    if not codes or missing:
        raise NotFound(f"buildings not in plan {plan.id}: {', '.join(missing) or '(none given)'}")
    sources = sorted({r.plan_grid_id for r in rows} - {target.id})
    if any(r.community_code != target.community_code for r in rows):
        raise InvalidInput("a grid stays inside one community: move buildings only to a grid "
                           "of their own community")
    far = [s for s in sources if not _touches(session, s, target.id)]
    if far:
        raise InvalidInput(f"grid #{to_seq} is not a neighbour of the buildings' grids")
    session.execute(text("""
        UPDATE plan_building pb SET plan_grid_id = :t FROM building b
        WHERE pb.plan_id = :p AND b.id = pb.building_id AND b.code = ANY(:codes)"""),
        {"t": target.id, "p": plan.id, "codes": codes})
    _retile(session, plan, [target.id, *sources], target.community_code)
    return str(target.community_code)


def _merge(session: Session, plan: Plan, a: int, b: int) -> str:
    keep, gone = _grid(session, plan, a), _grid(session, plan, b)
    if keep.community_code != gone.community_code or not _touches(session, keep.id, gone.id):
        raise InvalidInput(f"grids #{a} and #{b} must touch and lie in one community")
    _unkeep(session, plan, [keep.id, gone.id])
    session.execute(text("UPDATE plan_building SET plan_grid_id = :k WHERE plan_grid_id = :g"),
                    {"k": keep.id, "g": gone.id})
    session.execute(text("""
        UPDATE plan_grid SET geom = ST_Multi(ST_Union(geom, (SELECT geom FROM plan_grid
                                                              WHERE id = :g)))
        WHERE id = :k"""), {"k": keep.id, "g": gone.id})
    session.execute(text("DELETE FROM plan_grid WHERE id = :g"), {"g": gone.id})
    return str(keep.community_code)


def _split(session: Session, plan: Plan, seq: int, line: shapely.Geometry) -> str:
    grid = _grid(session, plan, seq)
    polygon = shapely.from_wkb(bytes(grid.wkb))
    pieces = shapely.get_parts(ops.split(polygon, line))
    pieces = pieces[shapely.get_type_id(pieces) == 3]
    if len(pieces) < 2:
        raise InvalidGeometry(f"the line does not cut grid #{seq} in two: draw it across")
    pieces = pieces[np.argsort(-shapely.area(pieces))]
    _unkeep(session, plan, [grid.id])
    write_geometries(session, plan.id, [grid.id], pieces[:1])
    next_seq = session.execute(text("SELECT max(seq) FROM plan_grid WHERE plan_id = :p"),
                               {"p": plan.id}).scalar_one()
    for i, piece in enumerate(pieces[1:], start=1):  # a handful of pieces at most
        new_id = session.execute(text("""
            INSERT INTO plan_grid (plan_id, seq, community_code, kind)
            SELECT plan_id, :seq, community_code, kind FROM plan_grid WHERE id = :g
            RETURNING id"""), {"seq": next_seq + i, "g": grid.id}).scalar_one()
        write_geometries(session, plan.id, [new_id], [piece])
    session.execute(text(sql.load("plan_follow")),
                    {"plan": plan.id, "community": grid.community_code})
    return str(grid.community_code)


def _replace(session: Session, plan: Plan, seq: int, polygon: shapely.Geometry) -> str:
    grid = _grid(session, plan, seq)
    wkb = shapely.to_wkb(shapely.set_srid(polygon, 4490), include_srid=True)
    changed = session.execute(text("""
        SELECT pg.id FROM plan_grid pg
        WHERE pg.plan_id = :p AND pg.community_code = :c
          AND (pg.id = :g OR ST_Intersects(pg.geom, ST_GeomFromEWKB(:poly)))"""),
        {"p": plan.id, "c": grid.community_code, "g": grid.id, "poly": wkb}).scalars().all()
    _unkeep(session, plan, list(changed))
    session.execute(text("""
        UPDATE plan_grid pg SET geom = ST_Multi(ST_CollectionExtract(CASE
            WHEN pg.id = :g THEN ST_Intersection(ST_GeomFromEWKB(:poly), r.geom)
            ELSE ST_Difference(pg.geom, ST_GeomFromEWKB(:poly)) END, 3))
        FROM region r
        WHERE r.code = pg.community_code AND pg.id = ANY(:ids)"""),
        {"g": grid.id, "poly": wkb, "ids": list(changed)})
    session.execute(text(sql.load("plan_follow")),
                    {"plan": plan.id, "community": grid.community_code})
    return str(grid.community_code)


def _retile(session: Session, plan: Plan, ids: list[int], community: str) -> None:
    """New shapes for grids ``ids`` from their buildings' cells, over the ground they cover."""
    _unkeep(session, plan, ids)
    scope = atoms.load_scope(session, community)
    rows = session.execute(text("""
        SELECT pb.building_id, pb.plan_grid_id FROM plan_building pb
        WHERE pb.plan_id = :p AND pb.plan_grid_id = ANY(:ids)"""),
        {"p": plan.id, "ids": ids}).all()
    where: dict[int, int] = {int(b): int(g) for b, g in rows}
    mine = scope.atoms["building_id"].map(where)
    keep = mine.notna().to_numpy()
    labels = np.array([ids.index(int(g)) for g in mine[keep]], dtype=np.int64)
    ground = gpd.read_postgis(text("SELECT ST_Union(geom) AS geom FROM plan_grid "
                                   "WHERE id = ANY(:ids)"), session.connection(),
                              params={"ids": ids}, geom_col="geom", crs=4490)
    # the union of stored grids can self-intersect by a hair once projected (GEOS then fails
    # in tile_parts' overlay): repair it, keeping only its area
    area = shapely.make_valid(ground.to_crs(scope.epsg).geometry.iloc[0], method="structure",
                              keep_collapsed=False)
    polys = groups.tile_parts(scope.atoms["cell"].to_numpy()[keep], labels, area, len(ids))
    # one polygon each where that loses no ground (a piece touching no other grid along an
    # edge stays with its grid, which refresh then flags)
    single, isolated = shaping.one_polygon(polys)
    polys = single if isolated.size == 0 else polys
    write_geometries(session, plan.id, ids, polys, crs=scope.epsg)
