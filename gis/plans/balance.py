"""``balance``: redraw only the grids whose household count breaks their range.

Rules: grids in range and in one piece stay untouched unless a neighbour needs them; an
oversized grid is split, a grid whose buildings form several pieces of the building-cell
graph is redrawn (its cut-off clusters join grids they touch); an undersized grid merges
with the neighbour it shares most boundary with (one that
stays within the maximum when there is one), and when the two together cannot form grids
in range a further neighbour joins; locked and exempt grids (gis.grids.household_rules)
never change.
Each group of grids is then re-formed from its buildings (gis.plans.groups).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from gis.grids.household_rules import LoadRules, grid_count
from gis.plans import groups, shaping
from gis.plans.atoms import Scope
from gis.plans.cells import label_pieces, pieces_per_label
from gis.plans.draft import Draft

MAX_EXTRA_NEIGHBOURS = 3
"""How many further neighbours a group may take in to become feasible."""
MAX_CUT_OFF_JOINS = 8
"""How many grids touching its cut-off clusters a group may take in."""


def grid_table(scope: Scope, rules: LoadRules) -> pd.DataFrame:
    """Current unified grids with households, bounds, movability and status."""
    grids = scope.grids[scope.grids["theme"] == "unified"].copy()
    # the load (households, or weighted: gis.plans.load) is what the range bounds
    totals = scope.atoms.groupby("grid_id")["load"].sum()
    grids["households"] = grids["id"].map(totals).fillna(0).astype(int)
    grids["bounds"] = grids["kind"].map(rules.bounds)
    grids["movable"] = ~grids["locked"] & grids["bounds"].notna()
    lo = grids["bounds"].map(lambda b: b[0] if b else -np.inf)
    hi = grids["bounds"].map(lambda b: b[1] if b else np.inf)
    grids["status"] = np.select([grids["households"] > hi, grids["households"] < lo],
                                ["oversized", "undersized"], "ok")
    gid = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)
    pieces = pieces_per_label(scope.adjacency, gid)
    grids["pieces"] = grids["id"].map(pieces).fillna(0).astype(int)
    return grids.set_index("id", drop=False)


def atom_pieces(scope: Scope) -> np.ndarray:
    """Per atom, the piece of its current grid it lies in (-1: no grid; cells.label_pieces)."""
    gid = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)
    return label_pieces(scope.adjacency, gid)


def cut_off_links(scope: Scope, grids: pd.DataFrame) -> list[tuple[int, int]]:
    """(grid, grid its piece touches): for each piece of a movable grid too small to be a
    grid on its own (cut off by water or other grids), the movable grid it shares the
    longest cell boundary with, so both are redrawn together and the piece joins it."""
    comp = atom_pieces(scope)
    households = scope.atoms["households"].to_numpy()
    gid = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)
    lo = grids["bounds"].map(lambda b: b[0] if b else -np.inf)
    pieces = pd.DataFrame({"piece": comp, "g": gid, "h": households})[comp >= 0]
    totals = pieces.groupby(["g", "piece"])["h"].sum().reset_index()
    totals = totals[totals["g"].map(grids["movable"]).fillna(False).astype(bool)
                    & totals["g"].map(grids["pieces"]).gt(1)
                    & (totals["h"] < totals["g"].map(lo))]
    links = []
    for g, piece in zip(totals["g"].astype(int), totals["piece"], strict=True):
        # a handful of cut-off pieces; each lookup is one sparse slice
        other = _touching_grid(scope, grids, np.flatnonzero(comp == piece), {g})
        if other is not None:
            links.append((g, other))
    return links


def grid_neighbours(scope: Scope) -> pd.DataFrame:
    """Pairs of current grids (g1, g2, both orders) with their shared cell boundary (m)."""
    coo = scope.adjacency.tocoo()
    gid = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)
    a, b = gid[coo.row], gid[coo.col]
    keep = ~np.isnan(a) & ~np.isnan(b) & (a != b)
    pairs = pd.DataFrame({"g1": a[keep].astype(int), "g2": b[keep].astype(int),
                          "length": coo.data[keep]})
    return pairs.groupby(["g1", "g2"])["length"].sum().reset_index()


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


def form_groups(grids: pd.DataFrame, nbrs: pd.DataFrame, notes: list[str],
                links: Sequence[tuple[int, int]] = ()) -> list[list[int]]:
    """Groups of grid ids to redraw together (see the module docstring); ``links`` are
    pairs of grids to redraw together (cut_off_links)."""
    uf = _Groups()
    for a, b in links:
        uf.union(a, b)
    movable = set(grids.index[grids["movable"]])
    nbrs = nbrs[nbrs["g1"].isin(movable) & nbrs["g2"].isin(movable)]
    # oversized grids split; a grid in several pieces is redrawn too: contiguity is a rule,
    # so its cut-off clusters join grids they touch (see _redraw)
    for g in grids.index[grids["movable"] & ((grids["status"] == "oversized")
                                             | (grids["pieces"] > 1))].tolist():
        uf.find(int(g))
    under = grids[grids["movable"] & (grids["status"] == "undersized")]
    for g in under.sort_values("households").index.tolist():
        cand = nbrs[nbrs["g1"] == g].assign(h=lambda f: f["g2"].map(grids["households"]))
        if cand.empty:
            notes.append(f"{grids['code'][g]}: 无可合并的相邻网格，保持偏小 "
                         "(no neighbouring grid to merge with: stays undersized)")
            continue
        hi = grids["bounds"][g][1]
        fits = cand[cand["h"] + grids["households"][g] <= hi]
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
        uf.union(_longest(out), members[0])


def plan_balance(scope: Scope, rules: LoadRules, *, seed: int = 0) -> Draft:
    """The balance draft of ``scope``: changed groups re-formed, every other grid kept."""
    draft = Draft("balance", scope, np.full(len(scope.atoms), -1, dtype=np.int64))
    grids = grid_table(scope, rules)
    nbrs = grid_neighbours(scope)
    groups_found = form_groups(grids, nbrs, draft.notes, cut_off_links(scope, grids))
    taken = {g for members in groups_found for g in members}
    for members in groups_found:
        _redraw(draft, grids, members, nbrs, taken, seed)
    gid = scope.atoms["grid_id"]
    for g, row in grids.iterrows():  # one row per kept grid: no geometry work
        if g not in taken:
            # contiguity first, as after a manual edit (gis.plans.refresh)
            flag = "noncontiguous" if row["pieces"] > 1 else (
                row["status"] if row["status"] != "ok" else None)
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
    pieces = (f"；建筑分为 {row['pieces']} 片互不相邻的部分 ({row['pieces']} pieces in the "
              "building-cell graph)") if row["pieces"] > 1 else ""
    if row["locked"]:
        return f"网格已锁定，不作调整 (locked grid: never changed){pieces}"
    if not row["movable"]:
        return f"豁免网格，不作调整 (exempt grid: never changed){pieces}"
    return f"无可合并或拆分的办法 (no neighbour to merge with){pieces}"


def _partition(scope: Scope, members: pd.DataFrame, seed: int
               ) -> tuple[np.ndarray, groups.GroupResult]:
    idx = np.flatnonzero(scope.atoms["grid_id"].isin(members.index).fillna(False).to_numpy())
    bounds = members.nlargest(1, "households")["bounds"].iloc[0]
    adj, metis, units = shaping.group_graph(scope, idx, _group_area(scope, members))
    return idx, groups.partition_group(adj, units, bounds, metis_adj=metis, seed=seed)


def _group_area(scope: Scope, group: pd.DataFrame) -> shapely.Geometry:
    """The ground a group redraws (metric CRS): its grids inside their community, even where
    an old one strayed over the community's edge."""
    outline = scope.communities.set_index("code").geometry[group["community_code"].iloc[0]]
    return shapely.intersection(shapely.union_all(group.geometry.to_numpy()), outline)


def _redraw(draft: Draft, grids: pd.DataFrame, members: list[int], nbrs: pd.DataFrame,
            taken: set[int], seed: int) -> None:
    """Re-form a group. A cluster of it cut off from the rest (by water or other grids) takes
    in a grid it touches in the building-cell graph, so it joins that grid's buildings and
    every grid stays contiguous (never the nearest grid across water); and when a part stays
    out of range although the total could be in range, a neighbour in range joins (it
    "needs" to change). Only movable grids not yet taken join, at most MAX_EXTRA_NEIGHBOURS
    for range and MAX_CUT_OFF_JOINS for cut-off clusters; a cluster left with nothing to
    join stays its own grid, flagged undersized with the reason (gis.plans.groups)."""
    scope = draft.scope
    members = list(members)
    idx, result = _partition(scope, grids.loc[members], seed)
    cut_joins = range_joins = 0
    while True:
        extra = None
        if result.cut_off and cut_joins < MAX_CUT_OFF_JOINS:
            extra = _touching_grid(scope, grids, idx[np.isin(result.labels, result.cut_off)],
                                   taken)
            cut_joins += extra is not None
        if extra is None and _fixable(result) and range_joins < MAX_EXTRA_NEIGHBOURS:
            out = nbrs[nbrs["g1"].isin(members) & ~nbrs["g2"].isin(taken)
                       & nbrs["g2"].map(grids["movable"]).fillna(False)]
            if not out.empty:
                extra = _longest(out)
                range_joins += 1
        if extra is None:
            break
        members.append(extra)
        taken.add(extra)
        idx, result = _partition(scope, grids.loc[members], seed)
    group = grids.loc[members]
    draft.add_group(idx, result, _group_area(scope, group), group["community_code"].iloc[0],
                    group.nlargest(1, "households")["kind"].iloc[0])
    draft.retired.update(int(g) for g in members)


def _touching_grid(scope: Scope, grids: pd.DataFrame, cluster: np.ndarray,
                   taken: set[int]) -> int | None:
    """The movable grid not yet taken that shares the longest cell boundary with the atoms
    ``cluster`` (scope indices) in the building-cell adjacency graph, if any."""
    edges = scope.adjacency[cluster].tocoo()
    gid = scope.atoms["grid_id"].to_numpy(dtype="float64", na_value=np.nan)[edges.col]
    touching = pd.DataFrame({"g": gid, "length": edges.data}).dropna()
    touching["g"] = touching["g"].astype(int)
    touching = touching[touching["g"].map(grids["movable"]).fillna(False).astype(bool)
                        & ~touching["g"].isin(taken)]
    if touching.empty:
        return None
    return _longest(touching, "g")


def _longest(pairs: pd.DataFrame, key: str = "g2") -> int:
    """The grid ``key`` of ``pairs`` with the longest shared boundary in all (first if tied)."""
    totals = pairs.groupby(key)["length"].sum()
    return int(totals.index.to_numpy()[totals.to_numpy().argmax()])


def _fixable(result: groups.GroupResult) -> bool:
    """A part is out of range for a reason other than one huge building or being a cut-off
    cluster (a further neighbour of the group cannot help those)."""
    return any(f is not None and not r.startswith("单栋") and i not in result.cut_off
               for i, (f, r) in enumerate(zip(result.flags, result.reasons, strict=True)))
