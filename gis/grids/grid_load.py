"""Grid load (households, residents, buildings, area, events per month, special groups) and
the check of each grid against the household rules of its kind (gis.grids.household_rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql
from gis.core.errors import InvalidInput
from gis.grids.household_rules import LoadRules, rules_with
from gis.models.admin import GRID_THEMES

STATUSES = ("ok", "oversized", "undersized", "exempt")


def list_grid_load(session: Session, *, theme: str = "unified", scope_code: str | None = None,
                   months: int = 3, rules: LoadRules | None = None,
                   scope: str | None = None) -> pd.DataFrame:
    """Every current grid of ``theme`` in ``scope_code`` (community/subdistrict/district code,
    None = all) with its load and its status against ``rules`` (default: the built-in rules;
    callers pass ``household_rules.rules_from(settings)``). ``scope`` is the caller's
    jurisdiction (None: everywhere): ``scope_code`` outside it is Forbidden, and without
    ``scope_code`` only the grids inside it come back.

    Columns: id, code, name, theme, kind, community_code, locked, version, households,
    residents, buildings, area_km2 (geodesic), events_per_month (over the last ``months``),
    special_total, special_groups (dict category -> residents), min_households,
    max_households, status (ok|oversized|undersized|exempt), reason (Chinese + English).
    """
    if theme not in GRID_THEMES:
        raise InvalidInput(f"unknown grid theme '{theme}': use one of {', '.join(GRID_THEMES)}")
    if not 1 <= months <= 120:
        raise InvalidInput(f"months must be between 1 and 120; got {months}")
    region = jurisdiction.narrow(scope_code, scope)
    since = session.execute(text("SELECT now() - make_interval(months => :months)"),
                            {"months": months}).scalar_one()  # a value: months pruned at plan
    frame = pd.read_sql(text(sql.load("grid_load")), session.connection(),
                        params={"theme": theme, "scope": jurisdiction.scope_prefix(region),
                                "months": months, "since": since})
    return check_load(frame, rules=rules or rules_with())


def check_load(frame: pd.DataFrame, *, rules: LoadRules) -> pd.DataFrame:
    """Add min_households, max_households, status and reason to a frame with kind/households."""
    out = frame.copy()
    bounds = out["kind"].map(lambda k: rules.bounds(k) or (np.nan, np.nan))
    out["min_households"] = bounds.map(lambda b: b[0]).astype("Int64")
    out["max_households"] = bounds.map(lambda b: b[1]).astype("Int64")
    h = out["households"]
    exempt = out["min_households"].isna().to_numpy()
    over = ~exempt & (h > out["max_households"]).fillna(False).to_numpy()
    under = ~exempt & (h < out["min_households"]).fillna(False).to_numpy()
    out["status"] = np.select([exempt, over, under], ["exempt", "oversized", "undersized"],
                              default="ok")
    reason = np.full(len(out), "", dtype=object)
    reason[over] = [f"户数 {n} 超过上限 {m} (households {n} above the maximum {m})"
                    for n, m in zip(h[over], out["max_households"][over], strict=True)]
    reason[under] = [f"户数 {n} 低于下限 {m} (households {n} below the minimum {m})"
                     for n, m in zip(h[under], out["min_households"][under], strict=True)]
    reason[exempt] = [f"{k} 类网格不设户数范围 (kind {k} is exempt)"
                      for k in out["kind"][exempt]]
    out["reason"] = reason
    return out


def out_of_range(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the grids breaking their range (oversized or undersized)."""
    return frame[frame["status"].isin(["oversized", "undersized"])].reset_index(drop=True)
