"""Export to GeoParquet partitioned by subdistrict (EPSG:4490), for the Dask workers.

Layout under ``workdir`` (a local path or any fsspec URL every worker can read)::

    grids/<subdistrict>.parquet       the subdistrict's current unified grids (id, code)
    events/sub=<subdistrict>/…        events within MARGIN of the subdistrict's grids' box
    buildings/sub=<subdistrict>/…     buildings whose box meets the subdistrict's grids' box

Grids never cross a community, so a subdistrict's grids are one partition. A point or a
building near two subdistricts goes to both; each partition answers with candidates and
gis.batch.engine keeps the best of them, so the answer is the one a join over every grid
gives. Points are GeoParquet with the native geoarrow point encoding (exact doubles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

MARGIN_M = 60.0
"""Events this close (metres, at least) to a subdistrict's grids' box go to its partition: more
than the 50 m rule reaches."""
M_PER_DEGREE_MIN = 110_000.0
"""Fewer metres than one degree of latitude holds (so a margin in degrees is wide enough)."""


@dataclass(frozen=True)
class Boxes:
    """Per subdistrict code, the box of its grids (EPSG:4490)."""

    codes: list[str]
    bounds: npt.NDArray[np.float64]


def write_grids(grids: gpd.GeoDataFrame, workdir: str) -> Boxes:
    """One GeoParquet per subdistrict of ``grids`` (id, code, subdistrict, geometry)."""
    codes, bounds = [], []
    _mkdir(f"{workdir}/grids")
    for sub, part in grids.groupby("subdistrict", sort=True):
        part[["id", "code", "geometry"]].to_parquet(f"{workdir}/grids/{sub}.parquet")
        codes.append(str(sub))
        bounds.append(part.total_bounds)
    return Boxes(codes, np.array(bounds).reshape(-1, 4))


def grown(boxes: Boxes, metres: float) -> npt.NDArray[np.float64]:
    """The boxes grown by at least ``metres`` on every side (degrees)."""
    b = boxes.bounds.copy()
    dy = metres / M_PER_DEGREE_MIN
    lat = np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])) + dy
    dx = dy / np.cos(np.radians(np.minimum(lat, 89.0)))
    b[:, 0] -= dx
    b[:, 2] += dx
    b[:, 1] -= dy
    b[:, 3] += dy
    return b


def write_points(ids: npt.NDArray[np.int64], x: npt.NDArray[np.float64],
                 y: npt.NDArray[np.float64], boxes: Boxes, workdir: str, *,
                 rows_per_file: int = 250_000) -> int:
    """Events (id, point) into the partitions of the subdistricts whose grown box holds them;
    returns the number of files written. Big partitions are cut into ``rows_per_file``."""
    files = 0
    for sub, (xmin, ymin, xmax, ymax) in zip(boxes.codes, grown(boxes, MARGIN_M), strict=True):
        inside = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
        for n, start in enumerate(range(0, inside.size, rows_per_file)):
            rows = inside[start:start + rows_per_file]
            frame = gpd.GeoDataFrame({"id": ids[rows]}, geometry=shapely.points(x[rows], y[rows]),
                                     crs=4490)
            _mkdir(f"{workdir}/events/sub={sub}")
            frame.to_parquet(f"{workdir}/events/sub={sub}/part-{n}.parquet",
                             geometry_encoding="geoarrow")
            files += 1
    return files


def write_buildings(buildings: gpd.GeoDataFrame, boxes: Boxes, workdir: str, *,
                    rows_per_file: int = 200_000) -> int:
    """Buildings (id, polygon) into the partitions whose grids' box meets theirs."""
    tree = shapely.STRtree(np.asarray(shapely.box(*boxes.bounds.T), dtype=object))
    building, box = tree.query(buildings.geometry.values, predicate="intersects")
    files = 0
    for index, sub in enumerate(boxes.codes):
        rows = np.sort(building[box == index])
        for n in range(math.ceil(rows.size / rows_per_file)):
            part = buildings.iloc[rows[n * rows_per_file:(n + 1) * rows_per_file]]
            _mkdir(f"{workdir}/buildings/sub={sub}")
            part[["id", "geometry"]].to_parquet(f"{workdir}/buildings/sub={sub}/part-{n}.parquet")
            files += 1
    return files


def read_grids(workdir: str, subdistrict: str) -> pd.DataFrame:
    """One subdistrict's grids back (id, code, geometry; EPSG:4490)."""
    return gpd.read_parquet(f"{workdir}/grids/{subdistrict}.parquet")


def _mkdir(path: str) -> None:
    if "://" not in path:
        Path(path).mkdir(parents=True, exist_ok=True)
