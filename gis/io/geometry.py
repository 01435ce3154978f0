"""Geometry of imported rows: reprojection to CGCS2000 (EPSG:4490), checks and repairs.

Everything here is vectorised over the whole column (shapely 2 ufuncs, pyproj arrays).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError, ProjError

from gis.core import crs as crs_mod
from gis.core.errors import UnknownCRS
from gis.io.kinds import POLYGON, Kind
from gis.io.report import Checks

AREA_TOLERANCE = 0.01
"""A repair may change a polygon's area by at most 1 %, else the row is rejected."""
Geoms = npt.NDArray[np.object_]


def crs_label(value: str | CRS | None) -> str:
    """'EPSG:4549', 'gcj02', … for the report."""
    if value is None:
        return f"EPSG:{crs_mod.STORAGE_SRID} (assumed: the file declares none)"
    if isinstance(value, str):
        return value
    epsg = value.to_epsg()
    return f"EPSG:{epsg}" if epsg else value.name


def to_storage(geoms: Geoms, source: str | CRS | None) -> Geoms:
    """Geometries in ``source`` (a CRS, 'gcj02', 'bd09'; None = lon/lat) to EPSG:4490.

    GCJ-02/BD-09 have no EPSG code: every vertex goes through ``crs.to_storage`` in one
    vectorised call (shapely.transform hands all coordinates over at once).
    """
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    if source is None:
        return geoms
    if isinstance(source, str):
        return shapely.transform(geoms, lambda xy: np.column_stack(
            crs_mod.to_storage(xy[:, 0], xy[:, 1], source)))
    if source.to_epsg() in (crs_mod.STORAGE_SRID, 4326):
        return geoms  # CGCS2000 equals WGS84 within centimetres: stored as-is
    try:
        series = gpd.GeoSeries(geoms, crs=source).to_crs(crs_mod.STORAGE_SRID)
    except (CRSError, ProjError) as exc:
        raise UnknownCRS(f"cannot reproject from {crs_label(source)} to EPSG:4490: give the "
                         "data's CRS with --crs (e.g. EPSG:4549)") from exc
    return np.asarray(series.values, dtype=object)


def check(geoms: Geoms, kind: Kind, checks: Checks, *, located_elsewhere: pd.Series | None
          = None) -> Geoms:
    """Reject empty, wrongly typed, misplaced or unrepairable geometries; return the column.

    ``geoms`` are in EPSG:4490. Invalid polygons are repaired with shapely.make_valid when
    the result keeps polygons and the area within 1 %; polygons come back as MultiPolygons.
    ``located_elsewhere`` marks rows allowed to have no geometry (events with an address).
    """
    index = checks.reason.index
    empty = pd.Series(shapely.is_missing(geoms) | shapely.is_empty(geoms), index=index)
    if located_elsewhere is not None:
        checks.reject(empty & ~located_elsewhere,
                      "no location: give coordinates (lon/lat or a geometry) or an address")
        empty &= ~located_elsewhere
    checks.reject(empty, "empty or unreadable geometry: check the WKT or coordinates")
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    present &= ~_reject_non_finite(geoms, present, checks)
    types = pd.Series(np.where(present, shapely.get_type_id(geoms), -1), index=index)
    allowed = [shapely.GeometryType[t.upper()].value for t in kind.geometry]
    wrong = present & ~types.isin(allowed)
    names = pd.Series(shapely.geometry.base.GEOMETRY_TYPES, dtype=object)
    checks.reject(wrong, "wrong geometry type: " + types.map(names).fillna("?").astype(str)
                  + f", expected {' or '.join(kind.geometry)}")
    _check_location(geoms, present & ~wrong, checks)
    geoms = _repair(geoms, present & ~wrong, checks)
    if set(kind.geometry) & set(POLYGON):
        geoms = _force_multi(geoms, checks.ok.to_numpy() & present)
    return geoms


def _reject_non_finite(geoms: Geoms, rows: npt.NDArray[np.bool_], checks: Checks
                       ) -> npt.NDArray[np.bool_]:
    """Reject (and return) the rows of ``rows`` with a NaN or infinite coordinate: GEOS
    cannot judge or repair them."""
    coords, owner = shapely.get_coordinates(geoms[rows], return_index=True)
    bad_rows = np.flatnonzero(rows)[np.unique(owner[~np.isfinite(coords).all(axis=1)])]
    bad = np.zeros(len(geoms), dtype=bool)
    bad[bad_rows] = True
    checks.reject(bad, "coordinates missing or not numbers (NaN or infinite)")
    return bad


def _check_location(geoms: Geoms, rows: npt.NDArray[np.bool_], checks: Checks) -> None:
    """Representative point and both bounding-box corners must be plausible lon/lat in China."""
    if not rows.any():
        return
    index = checks.reason.index
    subset = geoms[rows]
    # a representative point needs a valid polygon; the bbox centre stands in for invalid ones
    valid = shapely.is_valid(subset)
    points = shapely.centroid(shapely.envelope(subset))
    points[valid] = shapely.point_on_surface(subset[valid])
    reasons = pd.Series("", index=index, dtype=object)
    reasons[rows] = crs_mod.coordinate_problems(shapely.get_x(points), shapely.get_y(points))
    bounds = shapely.bounds(subset)
    corners = np.char.add(crs_mod.coordinate_problems(bounds[:, 0], bounds[:, 1]),
                          crs_mod.coordinate_problems(bounds[:, 2], bounds[:, 3]))
    stray = pd.Series(False, index=index)
    stray[rows] = corners != ""
    checks.reject(reasons != "", reasons)
    checks.reject(stray, "a vertex lies outside China (lon 73–136°E, lat 3–54°N): check for "
                         "a typing error in the coordinates")


def _repair(geoms: Geoms, rows: npt.NDArray[np.bool_], checks: Checks) -> Geoms:
    """make_valid the invalid geometries of ``rows``; keep a repair that keeps type and area."""
    invalid = np.asarray(rows, dtype=bool) & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    index = checks.reason.index
    broken = geoms[invalid]
    why = shapely.is_valid_reason(broken)
    fixed = shapely.make_valid(broken)
    polygonal = np.isin(shapely.get_type_id(broken), [3, 6])
    fixed = np.where(polygonal, _polygonal_part(fixed), fixed)
    same_type = np.where(polygonal, ~shapely.is_empty(fixed),
                         shapely.get_type_id(fixed) == shapely.get_type_id(broken))
    before, after = shapely.area(broken), shapely.area(fixed)
    area_kept = ~polygonal | ((before > 0) & (np.abs(after - before) <= AREA_TOLERANCE * before))
    good = same_type & area_kept
    rejected = pd.Series(False, index=index)
    rejected[invalid] = ~good
    reasons = pd.Series("", index=index, dtype=object)
    reasons[invalid] = np.char.add("invalid geometry: ", why.astype(str))
    checks.reject(rejected, reasons + " (make_valid would change its shape or area by more "
                                      "than 1 %; fix it at the source)")
    repaired = pd.Series(False, index=index)
    repaired[invalid] = good
    checks.repair(repaired, reasons.str.replace("invalid geometry: ", "repaired invalid "
                                                "geometry: ", regex=False))
    out = geoms.copy()
    out[invalid] = np.where(good, fixed, broken)
    return out


def _polygonal_part(geoms: Geoms) -> Geoms:
    """The polygons of each geometry as one MultiPolygon (lines/points of a repair dropped)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    # a repair's collection may nest a MultiPolygon: take parts twice to reach polygons
    parts, inner = shapely.get_parts(parts, return_index=True)
    owner = owner[inner]
    keep = np.isin(shapely.get_type_id(parts), [3])
    out = np.full(len(geoms), None, dtype=object)
    if keep.any():
        shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    empty = shapely.empty(len(out), geom_type=shapely.GeometryType.MULTIPOLYGON)
    return np.where(shapely.is_missing(out), empty, out)


def _force_multi(geoms: Geoms, rows: npt.NDArray[np.bool_]) -> Geoms:
    """Polygons of ``rows`` as MultiPolygons (storage columns are MULTIPOLYGON)."""
    out = geoms.copy()
    single = rows & (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON.value)
    if single.any():
        out[single] = shapely.multipolygons(geoms[single], indices=np.arange(single.sum()))
    return out
