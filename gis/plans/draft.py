"""A draft plan in memory: which proposed grid each building goes to, and the grids' shapes.

Built by gis.plans.balance and gis.plans.merge from a Scope (metric CRS), stored by
gis.plans.store. Pure: no database here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.plans import groups
from gis.plans.atoms import Scope


@dataclass
class Draft:
    """``part`` per atom (row of ``grids``, -1 = none); ``grids`` rows: community_code, kind,
    source_grid_id (set when the grid is kept unchanged), flag, reason, geometry."""

    kind: str
    scope: Scope
    part: np.ndarray
    rows: list[dict] = field(default_factory=list)
    retired: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    cut_off: int = 0
    """Grids that are building clusters cut off by water or other grids (flagged undersized)."""

    def keep(self, grid: pd.Series, atom_idx: np.ndarray, *, flag: str | None = None,
             reason: str = "") -> None:
        """Keep a current grid unchanged (its buildings and its shape)."""
        self.part[atom_idx] = len(self.rows)
        self.rows.append({"community_code": grid["community_code"], "kind": grid["kind"],
                          "source_grid_id": int(grid["id"]), "flag": flag, "reason": reason,
                          "name": grid["name"],
                          "geometry": grid[self.scope.grids.geometry.name]})

    def add_group(self, atom_idx: np.ndarray, result: groups.GroupResult,
                  area: shapely.Geometry, community_code: str, kind: str) -> None:
        """New grids from a partitioned group, tiling ``area`` (metric CRS)."""
        n = len(result.flags)
        if (self.part[atom_idx] >= 0).any():  # groups must never share a building
            raise RuntimeError("a building was placed in two redrawn groups")
        cells = self.scope.atoms["cell"].to_numpy()[atom_idx]
        polys = groups.tile_parts(cells, result.labels, area, n)
        base = len(self.rows)
        self.part[atom_idx] = base + result.labels
        for i in range(n):
            self.rows.append({"community_code": community_code, "kind": kind,
                              "source_grid_id": None, "flag": result.flags[i],
                              "reason": result.reasons[i], "name": None,
                              "geometry": polys[i]})
        if result.cut_off:
            self.cut_off += len(result.cut_off)
            self.notes.append(f"{community_code}: {len(result.cut_off)} 处被水域或其他网格隔开、"
                              "且无可并入的相邻网格的建筑群单独成网格 "
                              f"({len(result.cut_off)} cluster(s) of buildings cut off by "
                              "water or other grids, with no adjacent grid free to join, "
                              "became grids of their own, flagged undersized)")

    def grids(self) -> gpd.GeoDataFrame:
        """The proposed grids (metric CRS) with households, residents and buildings."""
        frame = gpd.GeoDataFrame(self.rows, geometry="geometry", crs=self.scope.epsg)
        atoms = self.scope.atoms
        placed = self.part >= 0
        for col, src in (("households", "households"), ("residents", "residents")):
            frame[col] = np.bincount(self.part[placed], weights=atoms[src].to_numpy()[placed],
                                     minlength=len(frame)).astype(int)
        frame["buildings"] = np.bincount(self.part[placed], minlength=len(frame))
        frame["source_grid_id"] = frame["source_grid_id"].astype("Int64")
        return frame
