"""Grid workers' public contact (上岗公示: name, phone, duties, supervision phone)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from gis.core import paging


def list_workers(session: Session, *, grid_code: str | None = None, limit: int | None = None,
                 offset: int = 0) -> pd.DataFrame:
    """One row per worker and current grid served (no geometry), ordered by grid code.

    Columns: id, code, name, role, phone, duties, supervision_phone, grid_code, grid_name,
    grid_theme, community_code, is_primary. The phone is the published work phone, not
    personal data. ``attrs["number_matched"]`` holds the total.
    """
    return paging.run_page(session, "worker_list", {"grid_code": grid_code},
                            limit=limit, offset=offset, geom_col=None)
