"""The plans of an area, newest first, for the planner workbench's list."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core.frames import frame_from_sql

STATUS_LABELS = {"draft": "草稿", "applied": "已应用", "rejected": "已驳回"}
"""Chinese names of plan states (plan.status)."""
KIND_LABELS = {"balance": "均衡调整", "merge": "多格合一"}


def list_plans(session: Session, *, scope_code: str | None = None, scope: str | None = None,
               limit: int = 50) -> pd.DataFrame:
    """Plans whose area lies inside ``scope_code`` (and the caller's region ``scope``), newest
    first. Columns: id, kind, scope_code, scope_name, status, version, created_by, created_at,
    decided_at, grids (proposed), edits."""
    region = jurisdiction.narrow(scope_code, scope)
    return frame_from_sql(session, """
        SELECT p.id, p.kind, p.scope_code, r.name AS scope_name, p.status, p.version,
               p.created_by, p.created_at, p.decided_at,
               (SELECT count(*) FROM plan_grid pg WHERE pg.plan_id = p.id) AS grids,
               COALESCE((p.metrics->>'edits')::int, 0) AS edits
        FROM plan p LEFT JOIN region r ON r.code = p.scope_code
        WHERE (CAST(:scope AS text) IS NULL OR gm_in_region(p.scope_code, :scope))
        ORDER BY p.created_at DESC, p.id DESC LIMIT :limit""",
                          {"scope": jurisdiction.scope_prefix(region), "limit": limit},
                          geom_col=None)
