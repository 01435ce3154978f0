"""Topology QA of grid layers: overlaps, gaps, slivers, grids crossing community boundaries,
buildings cut by grid edges and buildings in no grid (one SQL statement, gis/core/sql/qa.sql).

PostGIS does the geometry set-wise; no geometry is looped over in Python.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql
from gis.core.errors import InvalidInput
from gis.core.frames import frame_from_sql
from gis.models.admin import GRID_THEMES

CHECKS = {
    "overlap": "网格重叠 (grids of one layer overlap)",
    "overlap_sliver": "重叠碎片 (overlap sliver)",
    "gap": "网格空隙 (community ground in no grid)",
    "gap_sliver": "空隙碎片 (gap sliver)",
    "crosses_community": "跨社区网格 (grid crosses its community boundary)",
    "building_cut": "建筑被网格边界切割 (building cut by grid edges)",
    "building_outside": "建筑不在任何网格 (building in no grid)",
}
"""Every check, with the bilingual label shown to people."""

SLIVER_M2 = 100.0
"""Gap and overlap pieces below this area (m²) are slivers (digitising noise, not real gaps)."""
CUT_SHARE = 0.99
"""A building whose main grid holds less than this share of its area counts as cut."""
MIN_M2 = 0.5
"""Pieces below this area (m²) are floating-point noise and not reported at all."""


def list_qa_issues(session: Session, *, theme: str | None = None,
                   scope_code: str | None = None, sliver_m2: float = SLIVER_M2,
                   cut_share: float = CUT_SHARE, min_m2: float = MIN_M2,
                   scope: str | None = None) -> gpd.GeoDataFrame:
    """Every topology problem of the current grids of ``theme`` (None: all themes) in
    ``scope_code`` (community, subdistrict or district code; None: everywhere). ``scope`` is
    the caller's jurisdiction (None: everywhere): ``scope_code`` outside it is Forbidden, and
    without ``scope_code`` only the problems inside it come back.

    Columns: check, label, theme, community_code, grid_codes (list), building_code,
    area_m2 (geodesic m²: the piece, or for a cut building the part outside its main grid),
    buildings, geom (EPSG:4490 multipolygon).
    """
    if theme is not None and theme not in GRID_THEMES:
        raise InvalidInput(f"unknown grid theme '{theme}': use one of {', '.join(GRID_THEMES)}")
    if not 0 < cut_share <= 1 or sliver_m2 < 0 or min_m2 < 0:
        raise InvalidInput("cut_share must be in (0, 1]; sliver_m2 and min_m2 not negative")
    region = jurisdiction.narrow(scope_code, scope)
    frame = frame_from_sql(session, sql.load("qa"),
                           {"theme": theme, "scope": jurisdiction.scope_prefix(region),
                            "sliver_m2": sliver_m2,
                            "cut_share": cut_share, "min_m2": min_m2})
    frame.insert(1, "label", frame["check"].map(CHECKS))
    return frame


def summary_from_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per check (all checks, zeros included): problems, area_m2, buildings."""
    grouped = issues.groupby("check").agg(problems=("check", "size"),
                                          area_m2=("area_m2", "sum"),
                                          buildings=("buildings", "sum"))
    out = grouped.reindex(list(CHECKS), fill_value=0).reset_index(names="check")
    out.insert(1, "label", out["check"].map(CHECKS))
    out["area_m2"] = out["area_m2"].astype(float).round(1)
    return out
