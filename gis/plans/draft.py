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

from gis.plans import groups, shaping
from gis.plans.atoms import Scope

ISOLATED_REASON = ("被水域或其他网格隔开、仅以一点与本网格相接的建筑群单独成网格 (buildings on "
                   "ground touching their grid only at a point, cut off by water or other "
                   "grids: a grid of their own, so every grid is one polygon)")


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
        if (self.part[atom_idx] >= 0).any():  # groups must never share a building
            raise RuntimeError("a building was placed in two redrawn groups")
        polys, labels, isolated = self._shapes(atom_idx, result, area)
        base = len(self.rows)
        self.part[atom_idx] = base + labels
        flags = [*result.flags, *["undersized"] * isolated]
        reasons = [*result.reasons, *[ISOLATED_REASON] * isolated]
        for i in range(len(polys)):
            self.rows.append({"community_code": community_code, "kind": kind,
                              "source_grid_id": None, "flag": flags[i],
                              "reason": reasons[i], "name": None, "geometry": polys[i]})
        self.cut_off += isolated
        if result.cut_off:
            self.cut_off += len(result.cut_off)
            self.notes.append(f"{community_code}: {len(result.cut_off)} 处被水域或其他网格隔开、"
                              "且无可并入的相邻网格的建筑群单独成网格 "
                              f"({len(result.cut_off)} cluster(s) of buildings cut off by "
                              "water or other grids, with no adjacent grid free to join, "
                              "became grids of their own, flagged undersized)")

    def _shapes(self, atom_idx: np.ndarray, result: groups.GroupResult,
                area: shapely.Geometry) -> tuple[np.ndarray, np.ndarray, int]:
        """(one polygon per part, part per atom, how many parts were added): the tiling made
        one polygon each (gis.plans.shaping); a piece of ground with buildings that touches
        no grid of the group along a boundary becomes a grid of its own, flagged; buildings
        follow the ground their part was given (by point on surface)."""
        n = len(result.flags)
        cells = self.scope.atoms["cell"].to_numpy()[atom_idx]
        polys, isolated = shaping.one_polygon(groups.tile_parts(cells, result.labels, area, n))
        points = shapely.point_on_surface(self.scope.atoms.geometry.to_numpy()[atom_idx])
        if isolated.size:
            labels = shaping.relabel(points, result.labels, np.r_[polys, isolated])
            held = np.bincount(labels, minlength=n + len(isolated))[n:] > 0
            if (~held).any():
                self.notes.append(f"{int((~held).sum())} 块无建筑、与相邻网格仅点接的零碎用地未划入"
                                  "网格 (pieces of ground with no buildings touching no grid "
                                  "along a boundary left out)")
            polys = np.r_[polys, isolated[held]]
        return polys, shaping.relabel(points, result.labels, polys), len(polys) - n

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
