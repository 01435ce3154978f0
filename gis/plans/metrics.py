"""Plan figures: before/after load summaries, buildings moved, and the crosswalk.

A building counts as *moved* when the proposed grid it lands in is not the successor of its
old grid, the successor being the old grid that gives the new grid most of its households
(a kept grid is its own successor). Metric CRS throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.grids.household_rules import LoadRules
from gis.plans.cells import polsby_popper
from gis.plans.draft import Draft


def load_summary(households: pd.Series, compactness: pd.Series, kinds: pd.Series,
                 rules: LoadRules) -> dict:
    """Grids, grids in range (of those with a range), min/max/mean households, mean PP."""
    bounds = kinds.map(rules.bounds)
    checked = bounds.notna()
    # floats: with no checked grid the map gives an empty column of pyarrow strings (pandas 3)
    lo = bounds[checked].map(lambda b: b[0]).astype(float)
    hi = bounds[checked].map(lambda b: b[1]).astype(float)
    h = households[checked]
    in_range = int(((h >= lo) & (h <= hi)).sum())
    return {"grids": len(households), "checked": int(checked.sum()), "in_range": in_range,
            "share_in_range": round(in_range / max(int(checked.sum()), 1), 4),
            "min_households": int(households.min()) if len(households) else 0,
            "max_households": int(households.max()) if len(households) else 0,
            "mean_households": round(float(households.mean()), 1) if len(households) else 0,
            "mean_compactness": round(float(compactness.mean()), 4) if len(households) else 0}


def successors(draft: Draft) -> pd.Series:
    """Per proposed grid (row), the old grid giving it most households (ties: most buildings)."""
    atoms = draft.scope.atoms
    frame = pd.DataFrame({"part": draft.part, "old": atoms["grid_id"],
                          "h": atoms["households"].to_numpy() + 1e-6})
    frame = frame[(frame["part"] >= 0) & frame["old"].notna()]
    totals = frame.groupby(["part", "old"])["h"].sum().reset_index()
    best = totals.sort_values("h").drop_duplicates("part", keep="last")
    return best.set_index("part")["old"].astype("Int64")


def moved_mask(draft: Draft) -> np.ndarray:
    """True for each atom whose proposed grid is not its old grid's successor."""
    succ = successors(draft)
    placed = draft.part >= 0
    main = pd.Series(draft.part).map(succ)
    old = draft.scope.atoms["grid_id"].reset_index(drop=True)
    same = (main == old).fillna(False).to_numpy(dtype=bool)
    return placed & ~same


def crosswalk(draft: Draft) -> pd.DataFrame:
    """old_grid_id, part, households, share: for each old grid (unified grids the plan
    retires or keeps, and every grid of the merged thematic layers) the proposed grids that
    take its households. Shares sum to 1 per old grid (by buildings when it has no households).
    """
    atoms = draft.scope.atoms
    columns = ["grid_id", *[f"theme_{t}" for t in draft.scope.themes]]
    pieces = []
    for col in columns:  # one vectorised group-by per layer
        frame = pd.DataFrame({"old_grid_id": atoms[col], "part": draft.part,
                              "households": atoms["households"].to_numpy(), "buildings": 1})
        frame = frame[frame["old_grid_id"].notna() & (frame["part"] >= 0)]
        pieces.append(frame.groupby(["old_grid_id", "part"], as_index=False).sum())
    out = pd.concat(pieces, ignore_index=True)
    total_h = out.groupby("old_grid_id")["households"].transform("sum")
    total_b = out.groupby("old_grid_id")["buildings"].transform("sum")
    out["share"] = np.where(total_h > 0, out["households"] / total_h.where(total_h > 0, 1),
                            out["buildings"] / total_b)
    out["old_grid_id"] = out["old_grid_id"].astype(int)
    return out[["old_grid_id", "part", "households", "share"]]


def plan_metrics(draft: Draft, rules: LoadRules, open_events: pd.Series) -> dict:
    """Before/after summaries and what moves; ``open_events`` counts not-closed events per
    grid id."""
    scope = draft.scope
    current = scope.grids[scope.grids["theme"] == "unified"]
    totals = scope.atoms.groupby("grid_id")["households"].sum()
    before = load_summary(current["id"].map(totals).fillna(0).astype(int),
                          pd.Series(polsby_popper(current.geometry.values)),
                          current["kind"], rules)
    grids = draft.grids()
    after = load_summary(grids["households"], pd.Series(polsby_popper(grids.geometry.values)),
                         grids["kind"], rules)
    moved = moved_mask(draft)
    residents = scope.atoms["residents"].to_numpy()
    retired = sorted(draft.retired)
    return {"before": before, "after": after,
            "buildings_moved": int(moved.sum()),
            "residents_reassigned": int(residents[moved].sum()),
            "households_reassigned": int(scope.atoms["households"].to_numpy()[moved].sum()),
            "events_reassigned": int(open_events.reindex(retired).fillna(0).sum()),
            "grids_retired": len(retired), "grids_new": int(grids["source_grid_id"].isna().sum()),
            "cut_off_grids": draft.cut_off, "notes": draft.notes}
