"""Which grid a building was in, and when (grids are never deleted, only ended)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql
from gis.core.errors import InvalidInput, NotFound
from gis.models.admin import GRID_THEMES


def list_building_grid_history(session: Session, code: str, *, at: datetime | None = None,
                               scope: str | None = None, theme: str = "unified"
                               ) -> pd.DataFrame:
    """Periods of building ``code`` in the grids of ``theme`` (unified: its assigned grid;
    thematic layers: the grid holding its point): grid_id, grid_code, grid_name, valid_from,
    valid_to, area_share; with ``at`` only the period in force then (empty when none was).
    NotFound when there is no such building inside region ``scope`` (the caller's; None:
    everywhere); InvalidInput for an unknown theme."""
    if theme not in GRID_THEMES:
        raise InvalidInput(f"unknown theme '{theme}': use one of {', '.join(GRID_THEMES)}")
    params = {"code": code, "scope": jurisdiction.scope_prefix(scope)}
    exists = session.execute(text("SELECT 1 FROM building WHERE code = :code "
                                  "AND gm_in_region(community_code, :scope)"), params).first()
    if exists is None:
        raise NotFound(f"no building with code '{code}'")
    name = "building_grid_history" if theme == "unified" else "building_grid_history_theme"
    return pd.read_sql(text(sql.load(name)), session.connection(),
                       params={**params, "at": at, "theme": theme})
