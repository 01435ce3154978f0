"""The plan report a 街道 signs off, and plan against plan.

Per proposed grid: households, residents, buildings, households and buildings moved into it,
area (m² and km²), compactness (Polsby-Popper, convex-hull ratio, Reock) and the number of
polygons in its shape; the compounds (小区) the plan splits; totals. Measured in one SQL
statement in the metric CRS of the plan's area (``crs.metric_epsg_of``: the CGCS2000 3°
Gauss-Kruger zone, stated in the report). "Moved" is the plan's own list
(``plan.metrics["moved_building_ids"]``, the figure the review and apply show).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import clock, crs, sql
from gis.core.frames import frame_from_sql
from gis.grids.household_rules import LoadRules
from gis.models import Plan
from gis.plans import store

MEASURES = ("polsby_popper", "hull_ratio", "reock")


def report_epsg(session: Session, plan: Plan) -> int:
    """The metric CRS of ``plan``'s area (its scope's extent)."""
    box = session.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM region WHERE code = :c OR parent_code = :c) x"),
        {"c": plan.scope_code}).one()
    return crs.metric_epsg_of([float(v) for v in box])


def grid_figures(session: Session, plan: Plan, epsg: int) -> pd.DataFrame:
    """One row per proposed grid (see the module docstring), areas in ``epsg`` metres."""
    moved = [int(b) for b in (plan.metrics or {}).get("moved_building_ids", [])]
    frame = frame_from_sql(session, sql.load("plan_report_grids"),
                           {"plan": plan.id, "epsg": epsg, "moved": moved}, geom_col=None)
    frame["area_km2"] = frame["area_m2"] / 1e6
    for col in ("area_m2", "perimeter_m"):
        frame[col] = frame[col].round(1)
    frame["area_km2"] = frame["area_km2"].round(4)
    for col in MEASURES:
        frame[col] = frame[col].astype(float).round(4)
    return frame


def split_compounds(session: Session, plan: Plan) -> pd.DataFrame:
    """Compounds of ``plan`` lying in more than one proposed grid; ``fits_one_grid``: whether
    its households are within the residential maximum (so it could have stayed whole)."""
    frame = frame_from_sql(session, sql.load("plan_split_compounds"), {"plan": plan.id},
                           geom_col=None)
    rules = LoadRules(**(plan.params or {}).get("rules", {}))
    frame["fits_one_grid"] = frame["households"] <= rules.residential_max
    frame["seqs"] = frame["seqs"].map(lambda s: list(map(int, s)))
    return frame


def totals(grids: pd.DataFrame, split: pd.DataFrame, plan: Plan) -> dict[str, Any]:
    """The plan's figures in one row: counts, ranges, mean compactness, what moves."""
    figures = plan.metrics or {}
    after = figures.get("after", {})
    return {
        "grids": len(grids), "grids_new": int(grids["source_grid_code"].isna().sum()),
        "grids_in_range": after.get("in_range"), "grids_retired": figures.get("grids_retired"),
        "households": int(grids["households"].sum()),
        "residents": int(grids["residents"].sum()), "buildings": int(grids["buildings"].sum()),
        "min_households": int(grids["households"].min()) if len(grids) else 0,
        "max_households": int(grids["households"].max()) if len(grids) else 0,
        "std_households": round(float(grids["households"].std(ddof=0)), 1) if len(grids) else 0,
        "area_km2": round(float(grids["area_m2"].sum()) / 1e6, 4),
        **{f"mean_{m}": round(float(grids[m].mean()), 4) if len(grids) else None
           for m in MEASURES},
        "multipart_grids": int((grids["parts"] > 1).sum()),
        "buildings_moved": int(grids["moved_buildings"].sum()),
        "households_moved": int(grids["moved_households"].sum()),
        "residents_moved": figures.get("residents_reassigned"),
        "split_compounds": len(split),
        "split_compounds_avoidable": int(split["fits_one_grid"].sum()) if len(split) else 0}


def plan_sheet(session: Session, plan: Plan) -> dict[str, Any]:
    """The whole report of ``plan``: header, CRS, totals, grids, split compounds."""
    epsg = report_epsg(session, plan)
    grids = grid_figures(session, plan, epsg)
    split = split_compounds(session, plan)
    scope_name = session.execute(text("SELECT name FROM region WHERE code = :c"),
                                 {"c": plan.scope_code}).scalar()
    return {"id": plan.id, "kind": plan.kind, "status": plan.status,
            "scope_code": plan.scope_code, "scope_name": scope_name,
            "created_by": plan.created_by, "created_at": clock.local_text(plan.created_at),
            "crs": f"EPSG:{epsg}", "crs_note": f"面积与紧凑度在 EPSG:{epsg} (CGCS2000 3度高斯-"
                                                f"克吕格投影，单位米) 中计算",
            "options": {k: (plan.params or {}).get(k) for k in ("barriers", "weights", "seed")},
            "totals": totals(grids, split, plan),
            "grids": _records(grids), "split_compounds": _records(split)}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN → None, numpy scalars → Python)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in clean.to_dict(orient="records")]


def report_maps(session: Session, plan: Plan) -> dict[str, gpd.GeoDataFrame]:
    """The report's two maps (EPSG:4490): ``current`` unified grids the plan read and
    ``proposed`` grids (gis.plans.store.plan_review)."""
    review = store.plan_review(session, plan.id)
    current = review["current"]
    return {"current": current[current["theme"] == "unified"], "proposed": review["proposed"]}


COMPARED = ("grids", "grids_new", "grids_in_range", "grids_retired", "min_households",
            "max_households", "std_households", "mean_polsby_popper", "mean_hull_ratio",
            "mean_reock", "multipart_grids", "buildings_moved", "households_moved",
            "residents_moved", "split_compounds", "split_compounds_avoidable")


def compare_plans(session: Session, a: Plan, b: Plan) -> dict[str, Any]:
    """Plan ``a`` against plan ``b``: both reports' totals side by side with b − a, and
    ``same_grid_share``: of the building pairs sharing a grid in ``a``, the share that
    share one in ``b`` too (grid numbers differ between plans; pairs do not)."""
    sa, sb = plan_sheet(session, a), plan_sheet(session, b)
    rows = [{"measure": m, "a": sa["totals"][m], "b": sb["totals"][m],
             "difference": _difference(sa["totals"][m], sb["totals"][m])} for m in COMPARED]
    return {"a": {k: sa[k] for k in ("id", "kind", "status", "scope_code", "scope_name",
                                     "created_at", "crs", "options")},
            "b": {k: sb[k] for k in ("id", "kind", "status", "scope_code", "scope_name",
                                     "created_at", "crs", "options")},
            "rows": rows, "same_grid_share": _agreement(session, a.id, b.id)}


def _difference(x: Any, y: Any) -> float | None:
    if isinstance(x, int | float) and isinstance(y, int | float):
        return round(float(y) - float(x), 4)
    return None


def _agreement(session: Session, a: int, b: int) -> float | None:
    """Of the building pairs sharing a proposed grid in ``a``, the share sharing one in
    ``b`` too (1: the same partition; pairs counted per grid pair, set-based)."""
    row = session.execute(text("""
        WITH x AS (SELECT pa.plan_grid_id AS ga, pb.plan_grid_id AS gb, count(*) AS n
                   FROM plan_building pa JOIN plan_building pb
                     ON pb.building_id = pa.building_id AND pb.plan_id = :b
                   WHERE pa.plan_id = :a GROUP BY 1, 2),
             ta AS (SELECT ga, sum(n) AS n FROM x GROUP BY ga)
        SELECT (SELECT sum(n * (n - 1) / 2) FROM x) AS both,
               (SELECT sum(n * (n - 1) / 2) FROM ta) AS in_a"""), {"a": a, "b": b}).one()
    if not row.in_a:
        return None
    return round(float(row.both) / float(row.in_a), 4)
