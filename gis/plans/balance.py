"""``balance``: redraw only the grids whose household count breaks their range.

Rules: grids in range stay untouched unless a neighbour needs them; an oversized grid is
split; an undersized grid merges with the neighbour it shares most boundary with (one that
stays within the maximum when there is one), and when the two together cannot form grids
in range a further neighbour joins; locked and exempt grids (gis.rules) never change.
Each group of grids is then re-formed from its buildings (gis.plans.groups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gis.plans import groups
from gis.plans.atoms import Scope
from gis.plans.draft import Draft
from gis.rules import LoadRules, grid_count

MAX_EXTRA_NEIGHBOURS = 3
"""How many further neighbours a group may take in to become feasible."""


def grid_table(scope: Scope, rules: LoadRules) -> pd.DataFrame:
    """Current unified grids with households, bounds, movability and status."""
    grids = scope.grids[scope.grids["theme"] == "unified"].copy()
    totals = scope.atoms.groupby("grid_id")["households"].sum()
    grids["households"] = grids["id"].map(totals).fillna(0).astype(int)
    grids["bounds"] = grids["kind"].map(rules.bounds)
    grids["movable"] = ~grids["locked"] & grids["bounds"].notna()
    lo = grids["bounds"].map(lambda b: b[0] if b else -np.inf)
    hi = grids["bounds"].map(lambda b: b[1] if b else np.inf)
    grids["status"] = np.select([grids["households"] > hi, grids["households"] < lo],
                                ["oversized", "undersized"], "ok")
    return grids.set_index("id", drop=False)


def grid_neighbours(scope: Scope) -> pd.DataFrame:
    """Pairs of current grids (g1, g2, both orders) with their shared cell boundary (m)."""
    coo = scope.adjacency.tocoo()
    gid = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)
    a, b = gid[coo.row], gid[coo.col]
    keep = ~np.isnan(a) & ~np.isnan(b) & (a != b)
    pairs = pd.DataFrame({"g1": a[keep].astype(int), "g2": b[keep].astype(int),
                          "length": coo.data[keep]})
    return pairs.groupby(["g1", "g2"], as_index=False)["length"].sum()


class _Groups:
    """Union-find over grid ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, g: int) -> int:
        self.parent.setdefault(g, g)
        while self.parent[g] != g:
            g = self.parent[g]
        return g

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def members(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for g in list(self.parent):
            out.setdefault(self.find(g), []).append(g)
        return out


def form_groups(grids: pd.DataFrame, nbrs: pd.DataFrame, notes: list[str]) -> list[list[int]]:
    """Groups of grid ids to redraw together (see the module docstring)."""
    uf = _Groups()
    movable = set(grids.index[grids["movable"]])
    nbrs = nbrs[nbrs["g1"].isin(movable) & nbrs["g2"].isin(movable)]
    for g in grids.index[grids["movable"] & (grids["status"] == "oversized")]:
        uf.find(int(g))
    under = grids[grids["movable"] & (grids["status"] == "undersized")]
    for g in under.sort_values("households").index:
        cand = nbrs[nbrs["g1"] == g].assign(h=lambda f: f["g2"].map(grids["households"]))
        if cand.empty:
            notes.append(f"{grids.at[g, 'code']}: 无可合并的相邻网格，保持偏小 "
                         "(no neighbouring grid to merge with: stays undersized)")
            continue
        hi = grids.at[g, "bounds"][1]
        fits = cand[cand["h"] + grids.at[g, "households"] <= hi]
        pick = fits.nlargest(1, "length") if not fits.empty else cand.nsmallest(1, "h")
        uf.union(int(g), int(pick["g2"].iloc[0]))
    for members in list(uf.members().values()):
        _make_feasible(members, grids, nbrs, uf)
    return list(uf.members().values())


def _make_feasible(members: list[int], grids: pd.DataFrame, nbrs: pd.DataFrame,
                   uf: _Groups) -> None:
    """Take in neighbours (longest shared boundary first; a neighbour's own group comes with
    it) until grids in range can be formed."""
    for _ in range(MAX_EXTRA_NEIGHBOURS):
        members = uf.members()[uf.find(members[0])]
        bounds = grids.loc[members].nlargest(1, "households")["bounds"].iloc[0]
        total = int(grids.loc[members, "households"].sum())
        if grid_count(total, bounds).feasible:
            return
        out = nbrs[nbrs["g1"].isin(members) & ~nbrs["g2"].isin(members)]
        if out.empty:
            return
        uf.union(int(out.groupby("g2")["length"].sum().idxmax()), members[0])


def plan_balance(scope: Scope, rules: LoadRules, *, seed: int = 0) -> Draft:
    """The balance draft of ``scope``: changed groups re-formed, every other grid kept."""
    draft = Draft("balance", scope, np.full(len(scope.atoms), -1, dtype=np.int64))
    grids = grid_table(scope, rules)
    nbrs = grid_neighbours(scope)
    groups_found = form_groups(grids, nbrs, draft.notes)
    taken = {g for members in groups_found for g in members}
    for members in groups_found:
        _redraw(draft, grids, members, nbrs, taken, seed)
    gid = scope.atoms["grid_id"]
    for g, row in grids.iterrows():  # one row per kept grid: no geometry work
        if g not in taken:
            flag = row["status"] if row["status"] != "ok" else None
            reason = _kept_reason(row) if flag else ""
            draft.keep(row, np.flatnonzero(gid.eq(g).fillna(False).to_numpy()), flag=flag,
                       reason=reason)
    orphans = int((draft.part < 0).sum())
    if orphans:
        draft.notes.append(f"{orphans} 栋建筑不在任何现有网格，本方案不处理 "
                           f"({orphans} buildings are in no current grid; run assignment "
                           "or QA first)")
    return draft


def _kept_reason(row: pd.Series) -> str:
    if row["locked"]:
        return "网格已锁定，不作调整 (locked grid: never changed)"
    return "无可合并或拆分的办法 (no neighbour to merge with)"


def _partition(scope: Scope, members: pd.DataFrame, seed: int
               ) -> tuple[np.ndarray, groups.GroupResult]:
    idx = np.flatnonzero(scope.atoms["grid_id"].isin(members.index).fillna(False).to_numpy())
    bounds = members.nlargest(1, "households")["bounds"].iloc[0]
    cells = scope.atoms["cell"].to_numpy()[idx]
    units = groups.Units(scope.atoms["households"].to_numpy()[idx], shapely.area(cells),
                         shapely.length(cells),
                         shapely.get_coordinates(shapely.centroid(cells)))
    return idx, groups.partition_group(scope.adjacency[idx][:, idx], units, bounds, seed=seed)


def _redraw(draft: Draft, grids: pd.DataFrame, members: list[int], nbrs: pd.DataFrame,
            taken: set[int], seed: int) -> None:
    """Re-form a group; when a part stays out of range although the total could be in range,
    a neighbour in range not yet taken joins (it "needs" to change), at most
    MAX_EXTRA_NEIGHBOURS times."""
    scope = draft.scope
    members = list(members)
    idx, result = _partition(scope, grids.loc[members], seed)
    for _ in range(MAX_EXTRA_NEIGHBOURS):
        if not _fixable(result):
            break
        out = nbrs[nbrs["g1"].isin(members) & ~nbrs["g2"].isin(taken)
                   & nbrs["g2"].map(grids["movable"]).fillna(False)]
        if out.empty:
            break
        extra = int(out.groupby("g2")["length"].sum().idxmax())
        members.append(extra)
        taken.add(extra)
        idx, result = _partition(scope, grids.loc[members], seed)
    group = grids.loc[members]
    community = group["community_code"].iloc[0]
    # each new grid lies inside its community, even where an old one strayed over the edge
    outline = scope.communities.set_index("code").geometry[community]
    area = shapely.intersection(shapely.union_all(group.geometry.values), outline)
    draft.add_group(idx, result, area, community, group.nlargest(1, "households")["kind"].iloc[0])
    draft.retired.update(int(g) for g in members)


def _fixable(result: groups.GroupResult) -> bool:
    """A part is out of range for a reason other than one huge building."""
    return any(f is not None and not r.startswith("单栋")
               for f, r in zip(result.flags, result.reasons, strict=True))
