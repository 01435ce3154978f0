"""Which grid a building was in, and when (grids are never deleted, only ended)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql
from gis.core.errors import NotFound


def list_building_grid_history(session: Session, code: str, *, at: datetime | None = None,
                               scope: str | None = None) -> pd.DataFrame:
    """Periods of building ``code``: grid_id, grid_code, grid_name, valid_from, valid_to,
    area_share; with ``at`` only the period in force then (empty when none was). NotFound
    when there is no such building inside region ``scope`` (the caller's; None: everywhere)."""
    params = {"code": code, "scope": jurisdiction.scope_prefix(scope)}
    exists = session.execute(text("SELECT 1 FROM building WHERE code = :code "
                                  "AND gm_in_region(community_code, :scope)"), params).first()
    if exists is None:
        raise NotFound(f"no building with code '{code}'")
    return pd.read_sql(text(sql.load("building_grid_history")), session.connection(),
                       params={**params, "at": at})
