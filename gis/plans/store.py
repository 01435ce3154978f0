"""Writing a draft as a plan (plan, plan_grid, plan_building, plan_crosswalk) and reading it.

Stored geometry is EPSG:4490; ``seq`` numbers a plan's grids from 1 in draft order.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core.errors import NotFound
from gis.core.frames import copy_frame, feature_collection_from_frame, frame_from_sql
from gis.grids.household_rules import LoadRules
from gis.models import Plan
from gis.plans import changes, metrics, staffing
from gis.plans.cells import polsby_popper
from gis.plans.draft import Draft


def _open_events(session: Session, grid_ids: list[int]) -> pd.Series:
    query = text("""SELECT grid_id, count(*) AS n FROM event
                    WHERE grid_id = ANY(:ids) AND gm_event_not_closed(status)
                    GROUP BY grid_id""").bindparams(bindparam("ids", type_=ARRAY(INTEGER)))
    rows = session.execute(query, {"ids": grid_ids}).all()
    return pd.Series({r.grid_id: r.n for r in rows}, dtype="int64")


def save_draft(session: Session, draft: Draft, *, created_by: str, rules: LoadRules,
               params: dict) -> Plan:
    """Insert the plan and its rows (COPY for the bulk ones); flush, never commit."""
    scope = draft.scope
    unified = scope.grids[scope.grids["theme"] == "unified"]
    versions = {str(int(i)): int(v) for i, v in zip(scope.grids["id"], scope.grids["version"],
                                                   strict=True)}
    figures = metrics.plan_metrics(draft, rules, _open_events(session, unified["id"].tolist()))
    grids = draft.grids()
    figures["flags"] = [{"seq": i + 1, "flag": f, "reason": r} for i, (f, r)
                        in enumerate(zip(grids["flag"], grids["reason"], strict=True))
                        if isinstance(f, str)]
    plan = Plan(kind=draft.kind, scope_code=scope.code, created_by=created_by,
                params={**params, "rules": rules.model_dump(mode="json"),
                        "grid_versions": versions, "retired": sorted(draft.retired)},
                metrics=figures)
    session.add(plan)
    session.flush()
    ids = _copy_grids(session, plan.id, grids)
    moved = metrics.moved_mask(draft)
    placed = draft.part >= 0
    copy_frame(session, pd.DataFrame({
        "plan_id": plan.id, "building_id": scope.atoms["building_id"].to_numpy()[placed],
        "plan_grid_id": ids[draft.part[placed]]}), "plan_building")
    walk = metrics.crosswalk(draft)
    walk["plan_grid_id"] = ids[walk["part"].to_numpy()]
    walk["plan_id"] = plan.id
    copy_frame(session, walk, "plan_crosswalk",
               ["plan_id", "old_grid_id", "plan_grid_id", "households", "share"])
    plan.metrics = {**figures, "moved_building_ids":
                    scope.atoms["building_id"].to_numpy()[moved].tolist()}
    session.flush()
    return plan


def _copy_grids(session: Session, plan_id: int, grids: gpd.GeoDataFrame) -> np.ndarray:
    """COPY the proposed grids; returns plan_grid ids in row order."""
    metric = gpd.GeoSeries(_polygons(shapely.make_valid(grids.geometry.values)), crs=grids.crs)
    out = grids.to_crs(4490)
    geoms = _polygons(shapely.make_valid(metric.to_crs(4490).values), min_area=0.0)
    frame = pd.DataFrame({
        "plan_id": plan_id, "seq": np.arange(1, len(out) + 1), "name": out["name"],
        "community_code": out["community_code"], "kind": out["kind"],
        "households": out["households"],
        "compactness": np.round(polsby_popper(grids.geometry.values), 4),
        "flag": out["flag"], "source_grid_id": out["source_grid_id"], "geom": list(geoms)})
    copy_frame(session, frame, "plan_grid")
    # kept grids keep their stored shape exactly; new ones are clipped to the stored community
    # outline (the metric round trip moves edges by millimetres) and lose the crumbs (< 1 m²)
    # that round trip and clip can leave: one polygon per grid (gis.plans.shaping)
    session.execute(text("""
        UPDATE plan_grid pg SET geom = g.geom FROM grid g
        WHERE pg.plan_id = :p AND g.id = pg.source_grid_id"""), {"p": plan_id})
    session.execute(text("""
        UPDATE plan_grid pg
        SET geom = COALESCE((SELECT ST_Multi(ST_Union(d.geom)) FROM ST_Dump(ST_CollectionExtract(
                       CASE WHEN ST_CoveredBy(pg.geom, r.geom) THEN pg.geom
                            ELSE ST_Intersection(pg.geom, r.geom) END, 3)) d
                   WHERE ST_Area(d.geom::geography) >= :crumb), pg.geom)
        FROM region r
        WHERE pg.plan_id = :p AND pg.source_grid_id IS NULL AND r.code = pg.community_code
        """), {"p": plan_id, "crumb": MIN_PART_M2})
    rows = session.execute(text("SELECT id, seq FROM plan_grid WHERE plan_id = :p ORDER BY seq"),
                           {"p": plan_id}).all()
    return np.array([r.id for r in rows], dtype=np.int64)


MIN_PART_M2 = 1.0
"""Polygon parts smaller than this (m²) are overlay crumbs, dropped from proposed grids."""


def _polygons(geoms: np.ndarray, *, min_area: float = MIN_PART_M2) -> np.ndarray:
    """Only the polygonal parts of each metric geometry, crumbs dropped (make_valid and
    overlays can leave stray lines and specks)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    # make_valid can nest a MultiPolygon in a collection (a grid in two pieces meeting at a
    # point): one more level of parts, or that grid would lose its shape
    parts, inner = shapely.get_parts(parts, return_index=True)
    index = index[inner]
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= min_area)
    out = np.full(len(geoms), None, dtype=object)
    return shapely.multipolygons(parts[keep], indices=index[keep], out=out)


def get_plan(session: Session, plan_id: int) -> Plan:
    """The plan ``plan_id`` (NotFound otherwise)."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    return plan


def get_plan_in_scope(session: Session, plan_id: int, scope: str | None) -> Plan:
    """The plan ``plan_id`` when its scope lies inside region ``scope`` (the caller's; None:
    everywhere); NotFound otherwise, the same answer as for a plan that does not exist, so a
    key does not learn what other regions plan."""
    plan = session.get(Plan, plan_id)
    if plan is None or not jurisdiction.inside(plan.scope_code, scope):
        raise NotFound(f"no plan {plan_id}")
    return plan


def list_plan_grids(session: Session, plan_id: int) -> gpd.GeoDataFrame:
    """Proposed grids of a plan (EPSG:4490) with residents, buildings and the kept grid's code;
    a grid of one polygon (every drafted grid: gis.plans.shaping) comes out as a Polygon."""
    return frame_from_sql(session, """
        SELECT pg.id, pg.seq, pg.name, pg.community_code, pg.kind, pg.households,
               COALESCE(sum(b.residents), 0)::int AS residents, count(pb.building_id) AS buildings,
               pg.compactness, pg.flag, pg.source_grid_id, g.code AS source_grid_code,
               CASE WHEN ST_NumGeometries(pg.geom) = 1 THEN ST_GeometryN(pg.geom, 1)
                    ELSE pg.geom END AS geom
        FROM plan_grid pg
        LEFT JOIN plan_building pb ON pb.plan_grid_id = pg.id
        LEFT JOIN building b ON b.id = pb.building_id
        LEFT JOIN grid g ON g.id = pg.source_grid_id
        WHERE pg.plan_id = :p
        GROUP BY pg.id, g.code ORDER BY pg.seq""", {"p": plan_id})


def list_crosswalk(session: Session, plan_id: int) -> pd.DataFrame:
    """For each old grid: theme, code, the proposed grid (seq) taking households, share."""
    return frame_from_sql(session, """
        SELECT g.id AS old_grid_id, g.theme AS old_theme, g.code AS old_code,
               pg.seq AS new_seq, c.households, round(c.share::numeric, 4)::float8 AS share
        FROM plan_crosswalk c JOIN grid g ON g.id = c.old_grid_id
        JOIN plan_grid pg ON pg.id = c.plan_grid_id
        WHERE c.plan_id = :p ORDER BY g.theme, g.code, c.share DESC""", {"p": plan_id},
                          geom_col=None)


def plan_report(session: Session, plan_id: int) -> dict:
    """Everything a reviewer reads: the plan, its metrics, proposed grids (GeoJSON, EPSG:4490
    lon/lat) and the crosswalk."""
    plan = get_plan(session, plan_id)
    grids = list_plan_grids(session, plan_id)
    figures = {k: v for k, v in (plan.metrics or {}).items()
               if k not in ("moved_building_ids", "changes", "workers_linked",
                            "unstaffed_at_apply")}
    summary = changes.plan_changes(session, plan)
    figures.update(changes.metric_figures(plan, summary))
    return {"id": plan.id, "kind": plan.kind, "scope_code": plan.scope_code,
            "status": plan.status, "version": plan.version, "created_by": plan.created_by,
            "created_at": plan.created_at.isoformat() if plan.created_at else None,
            "decided_at": plan.decided_at.isoformat() if plan.decided_at else None,
            "themes": plan.params.get("themes", []), "rules": plan.params.get("rules"),
            "metrics": figures,
            "grids": feature_collection_from_frame(grids, id_column="seq"),
            "crosswalk": list_crosswalk(session, plan_id).to_dict(orient="records"),
            "changes": summary, "staffing": plan_staffing(session, plan)}


def plan_staffing(session: Session, plan: Plan) -> dict:
    """Workers of the plan's new grids: proposed (draft) or linked at apply; ``unstaffed``
    lists the new grids without one (gis.plans.staffing)."""
    if plan.status == "draft":
        return staffing.staffing(session, plan)
    if plan.status == "applied":
        return {"grids": [], "linked": plan.metrics.get("workers_linked", []),
                "unstaffed": plan.metrics.get("unstaffed_at_apply", [])}
    return {"grids": [], "unstaffed": []}


def plan_review(session: Session, plan_id: int) -> dict:
    """What the review map shows (EPSG:4490): ``plan``, ``report`` (plan_report), ``current``
    (the grids the plan read: id, code, theme, kind, households by assignment, geom),
    ``proposed`` (list_plan_grids), ``moved`` (buildings changing grid: code, geom) and
    ``buildings`` (every building of the plan: code, households, proposed grid seq, geom)."""
    plan = get_plan(session, plan_id)
    ids = [int(k) for k in plan.params.get("grid_versions", {})]
    moved = [int(b) for b in plan.metrics.get("moved_building_ids", [])]
    # psycopg2 sends a Python list as an SQL array
    current = frame_from_sql(session, """
        SELECT g.id, g.code, g.name, g.theme, g.kind, g.valid_to IS NULL AS current,
               COALESCE((SELECT sum(b.households) FROM building b WHERE b.grid_id = g.id), 0)::int
                   AS households, g.geom
        FROM grid g WHERE g.id = ANY(:ids) ORDER BY g.theme, g.code""", {"ids": ids})
    moved_frame = frame_from_sql(session, "SELECT id, code, households, geom FROM building "
                                 "WHERE id = ANY(:ids)", {"ids": moved})
    buildings = frame_from_sql(session, """
        SELECT b.code, b.households, pg.seq, b.geom FROM plan_building pb
        JOIN building b ON b.id = pb.building_id JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        WHERE pb.plan_id = :p ORDER BY b.code""", {"p": plan_id})
    return {"plan": plan, "report": plan_report(session, plan_id), "current": current,
            "proposed": list_plan_grids(session, plan_id), "moved": moved_frame,
            "buildings": buildings}


def write_geometries(session: Session, plan_id: int, ids: list[int],
                     geoms: Iterable[BaseGeometry], *,
                     crs: int = 4490) -> None:
    """Set the shapes of plan grids ``ids`` (``geoms`` in ``crs``), clipped to their community
    and reduced to their polygonal parts."""
    series = gpd.GeoSeries(list(geoms), crs=crs)
    if crs != 4490:
        series = gpd.GeoSeries(_polygons(shapely.make_valid(series.values)), crs=crs)
        series = series.to_crs(4490)
    out = _polygons(shapely.make_valid(series.values), min_area=0.0)
    wkbs = [None if g is None else shapely.to_wkb(shapely.set_srid(g, 4490), include_srid=True)
            for g in out]
    session.execute(text("""
        UPDATE plan_grid pg
        SET geom = COALESCE((SELECT ST_Multi(ST_Union(d.geom)) FROM ST_Dump(ST_CollectionExtract(
                       ST_Intersection(x.geom, r.geom), 3)) d
                   WHERE ST_Area(d.geom::geography) >= :crumb),
                   ST_Multi(ST_CollectionExtract(ST_Intersection(x.geom, r.geom), 3)))
        FROM unnest(CAST(:ids AS int[]), CAST(:wkbs AS bytea[])) AS u(id, wkb)
        CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(u.wkb) AS geom) x, region r
        WHERE pg.plan_id = :p AND pg.id = u.id AND r.code = pg.community_code"""),
        {"p": plan_id, "ids": list(ids), "wkbs": wkbs, "crumb": MIN_PART_M2})
