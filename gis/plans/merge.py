"""``merge`` (多格合一): one unified layer drawn from the chosen thematic layers.

Every community is re-formed from its buildings into k grids in range (k between
ceil(H/max) and floor(H/min)). Households that shared a grid in a thematic layer are kept
together by weighting the METIS edge between two buildings by the number of chosen layers in
which they share a grid: weight = shared boundary × (1 + SAME_GRID_BONUS × layers shared).
Locked and exempt unified grids stay as they are; every other current unified grid in scope
is replaced (its ground goes to the new grids).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from gis.grids.household_rules import LoadRules
from gis.plans import groups, shaping
from gis.plans.atoms import Scope
from gis.plans.draft import Draft

SAME_GRID_BONUS = 4.0
"""Extra weight per thematic layer two neighbouring buildings share a grid in."""


def shared_layers(scope: Scope) -> np.ndarray:
    """Per adjacency entry (COO order of ``scope.adjacency``): layers shared by its two ends."""
    coo = scope.adjacency.tocoo()
    count = np.zeros(coo.nnz)
    for theme in scope.themes:  # a loop over layers, each step vectorised over all edges
        ids = scope.atoms[f"theme_{theme}"].to_numpy(dtype="float64", na_value=np.nan)
        count += (ids[coo.row] == ids[coo.col]) & ~np.isnan(ids[coo.row])
    return count


def merge_weights(scope: Scope) -> sparse.csr_matrix:
    """Adjacency with each edge multiplied by (1 + SAME_GRID_BONUS × shared layers)."""
    coo = scope.adjacency.tocoo()
    data = coo.data * (1 + SAME_GRID_BONUS * shared_layers(scope))
    return sparse.csr_matrix((data, (coo.row, coo.col)), shape=coo.shape)


def plan_merge(scope: Scope, rules: LoadRules, *, seed: int = 0, kind: str = "residential"
               ) -> Draft:
    """The merge draft of ``scope``: each community re-formed into grids of ``kind``."""
    draft = Draft("merge", scope, np.full(len(scope.atoms), -1, dtype=np.int64))
    bounds = rules.bounds(kind) or (rules.residential_min, rules.residential_max)
    unified = scope.grids[scope.grids["theme"] == "unified"]
    kept = unified[unified["locked"] | unified["kind"].isin(rules.exempt_kinds)]
    gid = scope.atoms["grid_id"]
    for _, row in kept.iterrows():
        draft.keep(row, np.flatnonzero(gid.eq(row["id"]).fillna(False).to_numpy()),
                   reason="锁定或豁免网格保持不变 (locked or exempt grid kept)")
    draft.retired.update(int(g) for g in unified.loc[~unified.index.isin(kept.index), "id"])
    weights = merge_weights(scope)
    free = ~gid.isin(kept["id"]).fillna(False).to_numpy()
    for community in scope.communities.itertuples():  # one vectorised partition each
        idx = np.flatnonzero(free & (scope.atoms["community_code"] == community.code)
                             .to_numpy())
        if idx.size == 0:
            continue
        outline = shapely.difference(community.geom, _kept_area(kept, community.code))
        _partition(draft, idx, weights, outline, community.code, bounds, kind, seed)
    return draft


def _kept_area(kept: pd.DataFrame, community: str) -> shapely.Geometry:
    mine = kept[kept["community_code"] == community]
    return shapely.union_all(mine.geometry.to_numpy()) if len(mine) else shapely.Polygon()


def _partition(draft: Draft, idx: np.ndarray, weights: sparse.csr_matrix,
               outline: shapely.Geometry, community: str, bounds: tuple[int, int], kind: str,
               seed: int) -> None:
    adj, metis, units = shaping.group_graph(draft.scope, idx, outline, metis_adj=weights)
    result = groups.partition_group(adj, units, bounds, metis_adj=metis, seed=seed)
    draft.add_group(idx, result, outline, community, kind)
