"""What Dask workers run on one partition: candidates of the grid pick (gis.grids.picking)
among the partition's subdistrict grids. Inputs and grids are EPSG:4490."""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.batch import partitions
from gis.grids import picking

EVENT_COLUMNS = {"id": "int64", "grid_id": "int64", "code": "object", "rank": "int64",
                 "dist": "float64"}
BUILDING_COLUMNS = {"id": "int64", "grid_id": "int64", "code": "object", "area": "float64"}


@lru_cache(maxsize=64)
def _grids(workdir: str, subdistrict: str) -> picking.Grids:
    frame = partitions.read_grids(workdir, subdistrict)
    return picking.Grids.of(frame["id"].to_numpy(), frame["code"].to_numpy(),
                            np.asarray(frame.geometry.values, dtype=object))


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})


def event_candidates(part: gpd.GeoDataFrame, workdir: str, metric_epsg: int,
                     max_outside_m: float) -> pd.DataFrame:
    """Per event of ``part``, its best grid among each subdistrict's grids it was sent to:
    rank 0 covered (lowest code), rank 1 nearest within ``max_outside_m`` (distance, code)."""
    out = [_empty(EVENT_COLUMNS)]
    for sub, rows in part.groupby("sub", observed=True, sort=False):
        grids = _grids(workdir, str(sub))
        x, y = shapely.get_x(rows.geometry.values), shapely.get_y(rows.geometry.values)
        covered = picking.covering(x, y, grids)
        rest = np.flatnonzero(covered == picking.NONE)
        near, dist = picking.nearest_within(x[rest], y[rest], grids, metric_epsg=metric_epsg,
                                            max_outside_m=max_outside_m)
        index = covered.copy()
        index[rest] = near
        metres = np.zeros(len(x))
        metres[rest] = dist
        rank = np.zeros(len(x), dtype=np.int64)
        rank[rest] = 1
        found = index != picking.NONE
        out.append(pd.DataFrame({
            "id": rows["id"].to_numpy()[found], "grid_id": grids.ids[index[found]],
            "code": grids.codes[index[found]], "rank": rank[found], "dist": metres[found]}))
    return pd.concat(out, ignore_index=True).astype(EVENT_COLUMNS)


def building_candidates(part: gpd.GeoDataFrame, workdir: str) -> pd.DataFrame:
    """Per building of ``part``, the subdistrict grid holding most of its area, and the area."""
    out = [_empty(BUILDING_COLUMNS)]
    for sub, rows in part.groupby("sub", observed=True, sort=False):
        grids = _grids(workdir, str(sub))
        index, area = picking.building_grids(rows.geometry.values, grids)
        found = index != picking.NONE
        out.append(pd.DataFrame({
            "id": rows["id"].to_numpy()[found], "grid_id": grids.ids[index[found]],
            "code": grids.codes[index[found]], "area": area[found]}))
    return pd.concat(out, ignore_index=True).astype(BUILDING_COLUMNS)
