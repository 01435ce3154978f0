"""The vertex limit of one geometry (``Settings.max_vertices``): a grid of a million vertices
is stored fine and then slows every list, map and tile that draws it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from gis.core.errors import InvalidGeometry

HINT = ("simplify it (QGIS: Vector › Geometry Tools › Simplify; or ST_Simplify) and send it "
        "again")


def counts(geoms: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Vertices of each geometry (missing ones count 0), any CRS."""
    return np.asarray(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)))


def reason(count: int, limit: int) -> str:
    return (f"too many vertices: {count}, at most {limit} per geometry "
            f"(GRIDMAP_MAX_VERTICES); {HINT}")


def check(geom: shapely.Geometry, limit: int | None, what: str) -> None:
    """Raise InvalidGeometry naming ``what`` when ``geom`` has more than ``limit`` vertices
    (None: no limit)."""
    count = int(shapely.get_num_coordinates(geom))
    if limit is not None and count > limit:
        raise InvalidGeometry(f"{what}: {reason(count, limit)}", vertices=count,
                              max_vertices=limit)
