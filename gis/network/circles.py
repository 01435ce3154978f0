"""Service circles (生活圈): walking isochrones of facilities over the road network.

A circle is built from the reached network, not a crow-fly radius nor a convex hull: every
reached edge part (edges cut with ST_LineSubstring at the remaining distance) is buffered by
BUFFER_M in the metric CRS, the buffers are unioned and holes smaller than MIN_HOLE_M2 are
filled. Walks start at the facility's entrance (else ST_PointOnSurface of its geometry)
snapped to the network; a facility more than 200 m away is refused. Results are cached in
``service_area`` with the network version; a cached circle is reused while the network
version is the same and the facility was not updated since.
Returned geometries are EPSG:4490 (lon/lat); areas are square metres.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import crs, errors, frames, sql
from gis.core.crs import STORAGE_SRID
from gis.core.errors import InvalidInput, NotFound
from gis.network import roads, walking

DEFAULT_MINUTES: Final = 10.0
DEFAULT_SPEED: Final = 50.0
"""Metres per minute: 10 minutes at 50 m/min = 500 m, the 10-minute life circle of
GB 50180-2018 (城市居住区规划设计标准). 4.5 km/h is 75 m/min."""
BUFFER_M: Final = 25.0
"""Half-width of the band around reached streets: the depth of a plot facing the street."""
MIN_HOLE_M2: Final = 10_000.0
"""Holes under 1 ha (about a 100 m block enclosed by reached streets) are filled; larger
ones (a park, a lake, a block whose inside is not reached) stay open."""
CHUNK: Final = 64
"""Facilities walked per scipy call: a (64 × nodes) distance matrix stays small."""


def budget_m(minutes: float, speed: float) -> float:
    """Walking budget in metres; refuses non-positive or absurd values."""
    if not (1 <= minutes <= 120) or not (10 <= speed <= 200):
        raise InvalidInput("minutes must be in [1, 120] and speed in [10, 200] m/min "
                           "(50 m/min is a 10-minute life circle of 500 m; 4.5 km/h = 75)")
    return minutes * speed


def polygon_from_pieces(pieces: np.ndarray, *, buffer_m: float = BUFFER_M,
                        min_hole_m2: float = MIN_HOLE_M2) -> shapely.MultiPolygon:
    """Buffer metric line pieces, union them, fill holes under ``min_hole_m2`` (metric CRS)."""
    if len(pieces) == 0:
        return shapely.MultiPolygon()
    merged = shapely.union_all(shapely.buffer(pieces, buffer_m, quad_segs=4))
    polys = shapely.get_parts(merged)
    rings, owner = shapely.get_rings(polys, return_index=True)
    first = np.r_[True, owner[1:] != owner[:-1]]  # the first ring of a polygon is its shell
    keep = first | (shapely.area(shapely.polygons(rings)) >= min_hole_m2)
    # one constructor call per polygon part (a circle has a handful), not per data row
    out = [shapely.Polygon(rings[(owner == i) & first][0],
                           list(rings[(owner == i) & keep & ~first]))
           for i in range(len(polys))]
    return shapely.MultiPolygon(out)


def circles_from_walks(session: Session, graph: roads.Graph, starts: walking.Snaps,
                       budget: float, *, srid: int) -> list[shapely.MultiPolygon]:
    """One circle per start (metric CRS ``srid``), walking ``budget`` metres."""
    pieces = []
    for lo in range(0, len(starts.edge_row), CHUNK):  # bounded memory: CHUNK walks at once
        chunk = starts.rows(lo, lo + CHUNK)
        dist = walking.distances_from(graph, chunk, limit=budget)
        for j in range(len(chunk.edge_row)):
            one = walking.Snaps(chunk.edge_row[j:j + 1], chunk.fraction[j:j + 1],
                                chunk.snap_m[j:j + 1])
            pieces.append(walking.reached_pieces(graph, dist[j], budget, one)
                          .assign(grp=lo + j))
    table = pd.concat(pieces, ignore_index=True)
    lines = frames.frame_from_sql(session, sql.load("circle_pieces"), {
        "grp": table["grp"].astype(int).tolist(), "edge": table["edge_id"].astype(int).tolist(),
        "a": table["a"].tolist(), "b": table["b"].tolist(), "srid": srid})
    grp = lines["grp"].to_numpy()
    geoms = np.asarray(lines.geometry.values, dtype=object)
    return [polygon_from_pieces(geoms[grp == i]) for i in range(len(starts.edge_row))]


def facility_starts(session: Session, *, type: str | None = None,
                    ids: list[int] | None = None,
                    bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """Facilities (of ``type``, or ``ids``; whose start lies in ``bbox`` when given) with the
    lon/lat a walk from them starts at (EPSG:4490): the entrance, else a point inside the
    facility (ST_PointOnSurface). ``bbox`` is (xmin, ymin, xmax, ymax), EPSG:4490."""
    box = dict(zip(("x0", "y0", "x1", "y1"), bbox or (None,) * 4, strict=True))
    return frames.frame_from_sql(session, """
        SELECT f.id, f.code, f.name, f.type, f.level, f.updated_at,
               ST_X(p) AS lon, ST_Y(p) AS lat
        FROM facility f, LATERAL (SELECT coalesce(f.entrance, ST_PointOnSurface(f.geom)) p) s
        WHERE (CAST(:type AS text) IS NULL OR f.type = :type)
          AND (CAST(:ids AS int[]) IS NULL OR f.id = ANY(CAST(:ids AS int[])))
          AND (CAST(:x0 AS float8) IS NULL OR (
               (f.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)
                OR f.entrance && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))
               AND p && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)))
        ORDER BY f.id""", {"type": type, "ids": ids, **box}, geom_col=None)


def _cached(session: Session, ids: list[int], minutes: float, speed: float,
            version: int) -> gpd.GeoDataFrame:
    return frames.frame_from_sql(session, """
        SELECT DISTINCT ON (s.facility_id) s.facility_id, s.snap_distance_m, s.geom
        FROM service_area s JOIN facility f ON f.id = s.facility_id
        WHERE s.facility_id = ANY(CAST(:ids AS int[])) AND s.minutes = :m
          AND s.speed_m_per_min = :v AND s.network_version = :ver
          AND s.computed_at >= f.updated_at
        -- two requests computing at once may both store a circle: take the newest
        ORDER BY s.facility_id, s.computed_at DESC, s.id DESC""",
        {"ids": ids, "m": minutes, "v": speed, "ver": version})


def _store(session: Session, circles: gpd.GeoDataFrame, minutes: float, speed: float,
           version: int) -> None:
    """Replace the cached circles of these facilities for this budget (COPY, flush only)."""
    session.execute(text("DELETE FROM service_area WHERE facility_id = ANY(CAST(:ids AS int[]))"
                         " AND minutes = :m AND speed_m_per_min = :v"),
                    {"ids": circles["facility_id"].astype(int).tolist(), "m": minutes,
                     "v": speed})
    rows = circles.assign(minutes=minutes, speed_m_per_min=speed, network_version=version)
    frames.copy_frame(session, rows, "service_area", [
        "facility_id", "minutes", "speed_m_per_min", "snap_distance_m", "network_version",
        "geom"])
    session.flush()


def list_service_circles(session: Session, *, type: str | None = None,
                         facility_ids: list[int] | None = None,
                         minutes: float = DEFAULT_MINUTES, speed: float = DEFAULT_SPEED,
                         strict: bool = False) -> gpd.GeoDataFrame:
    """Circles of the facilities (of ``type``, or ``facility_ids``), computed or cached.

    Columns: facility_id, code, name, type, level, minutes, speed_m_per_min, distance_m,
    snap_distance_m, area_m2, geom (EPSG:4490 MultiPolygon). Facilities farther than 200 m
    from the network are left out and listed in ``.attrs['skipped']`` (``strict`` raises
    SnapTooFar instead). Missing or stale circles are computed in one batch and cached.
    """
    budget = budget_m(minutes, speed)
    facs = facility_starts(session, type=type, ids=facility_ids)
    graph = roads.read_graph(session)
    srid = graph.srid
    snaps = walking.snap(graph, facs["lon"], facs["lat"])
    far = snaps.snap_m > walking.MAX_SNAP_M
    skipped = _skipped(facs[far], snaps.snap_m[far])
    if strict and skipped:
        first = skipped[0]
        raise errors.SnapTooFar(
            f"facility {first['name']} is {first['snap_m']} m from the walking network "
            f"(more than {walking.MAX_SNAP_M:.0f} m): add its entrance or the path to it",
            facility_id=first["id"], snap_m=first["snap_m"])
    ok = facs[~far].reset_index(drop=True)
    ok_snaps = walking.Snaps(snaps.edge_row[~far], snaps.fraction[~far], snaps.snap_m[~far])
    version = roads.network_version(session)  # city-wide: only circles need it (their cache)
    cached = _cached(session, ok["id"].astype(int).tolist(), minutes, speed, version)
    todo = ~ok["id"].isin(cached["facility_id"]).to_numpy()
    if todo.any():
        fresh = _compute(session, graph, ok[todo], ok_snaps, todo, budget, srid)
        _store(session, fresh, minutes, speed, version)
        cached = pd.concat([cached, fresh[cached.columns]], ignore_index=True)
    return _answer(ok, cached, minutes, speed, budget, skipped)


def _compute(session: Session, graph: roads.Graph, facs: pd.DataFrame,
             snaps: walking.Snaps, todo: np.ndarray, budget: float,
             srid: int) -> gpd.GeoDataFrame:
    sub = walking.Snaps(snaps.edge_row[todo], snaps.fraction[todo], snaps.snap_m[todo])
    polys = circles_from_walks(session, graph, sub, budget, srid=srid)
    lonlat = gpd.GeoSeries(polys, crs=srid).to_crs(STORAGE_SRID).values
    frame = gpd.GeoDataFrame({"facility_id": facs["id"].to_numpy(),
                              "snap_distance_m": np.round(sub.snap_m, 2)},
                             geometry=_valid_multipolygons(np.asarray(lonlat, dtype=object)),
                             crs=STORAGE_SRID)
    return frame.rename_geometry("geom")


def _valid_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Valid MultiPolygons (service_area checks ST_IsValid): reprojection can make a hole
    touch its shell along an edge; make_valid repairs it, keeping only the polygonal parts."""
    fixed = shapely.make_valid(geoms)
    parts, owner = shapely.get_parts(fixed, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # collections may hold multis
    owner = owner[inner]
    keep = shapely.get_type_id(parts) == 3
    parts, owner = parts[keep], owner[keep]
    return np.array([shapely.MultiPolygon(list(parts[owner == i])) for i in range(len(geoms))],
                    dtype=object)


def _skipped(facs: pd.DataFrame, snap_m: np.ndarray) -> list[dict]:
    return [{"id": int(i), "name": n, "snap_m": round(float(d), 1) if np.isfinite(d) else None}
            for i, n, d in zip(facs["id"], facs["name"], snap_m, strict=True)]


def _answer(facs: pd.DataFrame, circles: gpd.GeoDataFrame, minutes: float, speed: float,
            budget: float, skipped: list[dict]) -> gpd.GeoDataFrame:
    out = facs.drop(columns=["lon", "lat", "updated_at"]).rename(columns={"id": "facility_id"})
    out = out.merge(circles, on="facility_id")
    out = gpd.GeoDataFrame(out, geometry="geom", crs=STORAGE_SRID)
    out["minutes"], out["speed_m_per_min"], out["distance_m"] = minutes, speed, budget
    # a facility farther than the budget from the network has an empty circle (area 0)
    drawn = out.geometry[~out.geometry.is_empty]
    out["area_m2"] = 0.0
    if len(drawn):
        out["area_m2"] = out.geometry.to_crs(crs.metric_epsg_of(drawn.total_bounds)).area.round(0)
    out.attrs["skipped"] = skipped
    return out[["facility_id", "code", "name", "type", "level", "minutes", "speed_m_per_min",
                "distance_m", "snap_distance_m", "area_m2", "geom"]]


def get_service_circle(session: Session, facility_id: int, *,
                       minutes: float = DEFAULT_MINUTES,
                       speed: float = DEFAULT_SPEED) -> gpd.GeoDataFrame:
    """The circle of one facility (one row); SnapTooFar beyond 200 m, NotFound if absent."""
    out = list_service_circles(session, facility_ids=[facility_id], minutes=minutes,
                               speed=speed, strict=True)
    if out.empty:
        raise NotFound(f"no facility with id {facility_id}")
    return out
