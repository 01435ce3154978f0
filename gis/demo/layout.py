"""The plan of the demo district in local metres: boundary, river, streets, communities, blocks.

Local frame: x east, y north, metres, origin at the subdistrict's south-west corner (before
the small rotation ``place`` applies when it moves everything into EPSG:4549). Streets are
axis-aligned in this frame, which keeps building lattices, lanes and bridges exact; the
rotation makes the result look less like graph paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from gis.core.crs import STORAGE_SRID
from gis.demo import names

METRIC_EPSG = 4549  # CGCS2000 3-degree GK zone, central meridian 120°E (crs.metric_epsg)
WIDTH, HEIGHT = 2600.0, 2000.0  # subdistrict extent in metres
CENTRE_LONLAT = (119.212, 34.601)
ROTATION_DEG = -9.0
RIVER_HALF_WIDTH = 18.0
RIVER_CLEARANCE = 3.0  # no edge but a bridge comes closer to the water than this
BRIDGE_X = (900.0, 1750.0)  # 解放路 and 郁州路 cross the river on bridges
NS_MAIN_X = (0.0, 900.0, 1750.0, WIDTH)
EW_MAIN_Y = (0.0, 520.0, 1450.0, HEIGHT)
NS_SECONDARY_X = (450.0, 1320.0, 2170.0)
EW_SECONDARY_Y = (260.0, 1230.0, 1720.0)
DIAGONAL = ((2000.0, HEIGHT), (WIDTH, 1560.0))  # 海宁大道 cuts the north-east corner
HALF_WIDTH = {"main": 20.0, "secondary": 12.0}  # carriageway + pavement + setback
SPECIAL_CELLS = {  # (column, band) of the non-residential blocks and what they are
    (1, 4): ("school", "special", "苍梧实验小学"),
    (4, 1): ("hospital", "special", "海州区第二人民医院"),
    (3, 5): ("market", "commercial", "朐阳农贸市场"),
    (0, 5): ("commercial", "commercial", "秦东门商业街"),
}


@dataclass(frozen=True)
class Layout:
    """The district plan in local metres (see the module docstring)."""

    district: BaseGeometry  # a polygon: a union, typed as set operations return it
    subdistrict: Polygon
    river: BaseGeometry  # the river polygon clipped to the district
    communities: gpd.GeoDataFrame  # code, name, geometry
    roads: gpd.GeoDataFrame  # kind, name, geometry (lines, not yet noded)
    cells: gpd.GeoDataFrame  # one row per block: cell_id, community_code, role, ...
    streets: gpd.GeoDataFrame  # kind, name, geometry: whole named streets (for addresses)


def river_y(x: np.ndarray | float) -> np.ndarray:
    """Centre line of the river, y as a function of x (local metres)."""
    x = np.asarray(x, dtype=float)
    return 880.0 + 105.0 * np.sin(2 * np.pi * x / 1900.0 + 0.6) + 0.03 * (x - 1300.0)


def _river(extent: float) -> tuple[LineString, Polygon]:
    xs = np.linspace(-extent, WIDTH + extent, 400)
    line = LineString(np.c_[xs, river_y(xs)])
    return line, line.buffer(RIVER_HALF_WIDTH, quad_segs=4)


def _district(rng: np.random.Generator, subdistrict: Polygon) -> BaseGeometry:
    """An irregular polygon of about 7 km × 6.5 km enclosing the subdistrict with margin."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    wobble = np.convolve(np.r_[rng.normal(0, 1, 48), rng.normal(0, 1, 4)],
                         np.ones(5) / 5, "valid")[:48]
    radius = 3300.0 * (1 + 0.06 * wobble)
    cx, cy = WIDTH / 2, HEIGHT / 2
    ring = np.c_[cx + radius * np.cos(angles), cy + 0.92 * radius * np.sin(angles)]
    return shapely.union(Polygon(ring), subdistrict.buffer(400)).simplify(1.0)


def _outline() -> Polygon:
    """The subdistrict: a rectangle of streets with its north-east corner cut by 海宁大道."""
    return Polygon([(0, 0), (WIDTH, 0), DIAGONAL[1], DIAGONAL[0], (0, HEIGHT)])


def _road_lines(subdistrict: Polygon) -> gpd.GeoDataFrame:
    """Main and secondary streets, full length across (and clipped to) the subdistrict."""
    rows = [("main", names.DIAGONAL_MAIN, LineString(DIAGONAL), "diagonal", -1.0)]
    for x, name in zip(NS_MAIN_X, names.NS_MAIN, strict=True):
        rows.append(("main", name, LineString([(x, 0), (x, HEIGHT)]), "ns", x))
    for y, name in zip(EW_MAIN_Y, names.EW_MAIN, strict=True):
        rows.append(("main", name, LineString([(0, y), (WIDTH, y)]), "ew", y))
    for x, name in zip(NS_SECONDARY_X, names.NS_SECONDARY, strict=True):
        rows.append(("secondary", name, LineString([(x, 0), (x, HEIGHT)]), "ns", x))
    for y, name in zip(EW_SECONDARY_Y, names.EW_SECONDARY, strict=True):
        rows.append(("secondary", name, LineString([(0, y), (WIDTH, y)]), "ew", y))
    frame = gpd.GeoDataFrame(rows, columns=["kind", "name", "geometry", "axis", "at"])
    frame["geometry"] = shapely.intersection(np.asarray(frame.geometry), subdistrict)
    return frame


def _polygonize(lines: list) -> np.ndarray:
    """The faces of the arrangement of ``lines`` (noded first)."""
    noded = shapely.get_parts(shapely.union_all(np.asarray(lines, dtype=object)))
    return np.asarray(shapely.get_parts(shapely.polygonize(noded)))


def _communities(subdistrict: Polygon, river_line: LineString) -> gpd.GeoDataFrame:
    """Six communities: the river splits north from south, 解放路 and 郁州路 split west to east."""
    cutters = [subdistrict.boundary, river_line,
               *(LineString([(x, -10), (x, HEIGHT + 10)]) for x in BRIDGE_X)]
    parts = _polygonize(cutters)
    parts = parts[shapely.within(parts, subdistrict.buffer(1))]
    cx = shapely.get_x(shapely.centroid(parts))
    north = shapely.get_y(shapely.centroid(parts)) > river_y(cx)
    order = np.lexsort((cx, north))  # south row west→east, then north row
    return gpd.GeoDataFrame({"code": names.COMMUNITY_CODES, "name": names.COMMUNITY_NAMES},
                            geometry=parts[order])


def _cells(subdistrict: Polygon, river_line: LineString, river: BaseGeometry,
           roads: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street blocks: cells between street centre lines, shrunk by the street half widths."""
    lines = [subdistrict.boundary, river_line, *roads.geometry]
    cells = _polygonize(lines)
    cells = cells[shapely.within(cells, subdistrict.buffer(1)) & (shapely.area(cells) > 5000)]
    cut = shapely.union_all([
        *(g.buffer(HALF_WIDTH[k], cap_style="flat") for k, g in zip(
            roads["kind"], roads.geometry, strict=True)),
        river.buffer(15.0)])
    blocks = shapely.difference(cells, cut)
    frame = gpd.GeoDataFrame({"cell": cells}, geometry=blocks)
    centre = shapely.centroid(cells)
    frame["cx"], frame["cy"] = shapely.get_x(centre), shapely.get_y(centre)
    frame["column"] = np.searchsorted(sorted([*NS_MAIN_X, *NS_SECONDARY_X]), frame["cx"]) - 1
    ys = sorted([*EW_MAIN_Y, *EW_SECONDARY_Y])
    band = np.searchsorted(ys, frame["cy"]) - 1
    # the river splits the band it runs through: cells north of it count one band higher
    frame["band"] = band + ((band >= 2) & (frame["cy"] > river_y(frame["cx"]))).astype(int)
    frame = frame.sort_values(["band", "column"]).reset_index(drop=True)
    frame["cell_id"] = np.arange(len(frame))
    inside = shapely.within(shapely.point_on_surface(frame["cell"].values)[:, None],
                            np.asarray(communities.geometry)[None, :])
    frame["community_code"] = communities["code"].to_numpy()[inside.argmax(axis=1)]
    special = [SPECIAL_CELLS.get((c, b)) for c, b in zip(frame["column"], frame["band"],
                                                         strict=True)]
    frame["role"] = [s[0] if s else "compound" for s in special]
    frame["grid_kind"] = [s[1] if s else "residential" for s in special]
    frame["label"] = [s[2] if s else None for s in special]
    return frame


def _lanes(subdistrict: Polygon, river: BaseGeometry, slot: tuple[float, float]
           ) -> gpd.GeoDataFrame:
    """Lanes between building rows (every 4th row gap) and slot columns (every 5th), cut at
    the river; lanes closer than 30 m to a parallel street are left out (they would run on
    the pavement)."""
    sx, sy = slot
    ys = np.arange(0, HEIGHT, 4 * sy) + sy - 3.0
    xs = np.arange(0, WIDTH, 5 * sx)
    ew = np.r_[EW_MAIN_Y, EW_SECONDARY_Y]
    ns = np.r_[NS_MAIN_X, NS_SECONDARY_X]
    ys = ys[np.abs(ys[:, None] - ew[None, :]).min(axis=1) > 30]
    xs = xs[np.abs(xs[:, None] - ns[None, :]).min(axis=1) > 30]
    raw = [LineString([(0, y), (WIDTH, y)]) for y in ys] + \
          [LineString([(x, 0), (x, HEIGHT)]) for x in xs]
    allowed = shapely.difference(subdistrict, river.buffer(RIVER_CLEARANCE))
    parts = shapely.get_parts(shapely.intersection(np.asarray(raw), allowed))
    parts = parts[shapely.length(parts) > 40]
    return _lines("lane", None, parts)


def _lines(kind: str, name: str | None, parts: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": [kind] * len(parts), "name": [name] * len(parts)},
                            geometry=list(parts))


def _riverside(river_line: LineString, subdistrict: Polygon) -> gpd.GeoDataFrame:
    """滨河步道: footways along both banks, 10 m from the water."""
    off = RIVER_HALF_WIDTH + 10.0
    banks = [river_line.offset_curve(off), river_line.offset_curve(-off)]
    parts = shapely.get_parts(shapely.intersection(np.asarray(banks), subdistrict))
    return _lines("footway", f"{names.RIVER_NAME}滨河步道", parts)


def _cut_at_river(roads: gpd.GeoDataFrame, river: BaseGeometry) -> gpd.GeoDataFrame:
    """Streets stop at the river except 解放路 and 郁州路, which cross it on bridges."""
    zone = river.buffer(RIVER_CLEARANCE)
    rows = []
    for kind, name, geom, axis, at in roads.itertuples(index=False):  # ~14 streets
        if axis == "ns" and at in BRIDGE_X:
            y0 = float(river_y(at)) - RIVER_HALF_WIDTH - 12.0
            y1 = float(river_y(at)) + RIVER_HALF_WIDTH + 12.0
            bridge = names.BRIDGE_NAMES[BRIDGE_X.index(at)]
            rows += [(kind, name, LineString([(at, 0), (at, y0)])),
                     ("bridge", bridge, LineString([(at, y0), (at, y1)])),
                     (kind, name, LineString([(at, y1), (at, HEIGHT)]))]
            continue
        for part in shapely.get_parts(geom.difference(zone)):
            rows.append((kind, name, part))
    return gpd.GeoDataFrame(rows, columns=["kind", "name", "geometry"])


def make_layout(rng: np.random.Generator, *, slot: tuple[float, float]) -> Layout:
    """The whole plan (local metres); ``slot`` is the building lattice pitch (x, y)."""
    subdistrict = _outline()
    district = _district(rng, subdistrict)
    river_line, whole_river = _river(4000.0)
    river = whole_river.intersection(district)
    streets = _road_lines(subdistrict)
    communities = _communities(subdistrict, river_line)
    cells = _cells(subdistrict, river_line, river, streets, communities)
    roads = pd.concat([_cut_at_river(streets, river), _lanes(subdistrict, river, slot),
                       _riverside(river_line, subdistrict)], ignore_index=True)
    return Layout(district=district, subdistrict=subdistrict, river=river,
                  communities=communities, roads=gpd.GeoDataFrame(roads, geometry="geometry"),
                  cells=cells, streets=streets[["kind", "name", "geometry"]])


def place(geoms: np.ndarray | gpd.GeoSeries, *,
          offset: tuple[float, float] = (0.0, 0.0)) -> gpd.GeoSeries:
    """Local metres → EPSG:4549 (rotate about the centre, shift) → EPSG:4490, in one go.

    ``offset`` (local metres, added before the rotation) tiles copies side by side (the city).
    """
    to_metric = Transformer.from_crs(STORAGE_SRID, METRIC_EPSG, always_xy=True)
    ox, oy = to_metric.transform(*CENTRE_LONLAT)
    theta = np.deg2rad(ROTATION_DEG)
    cos, sin = np.cos(theta), np.sin(theta)

    def affine(xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0] + offset[0] - WIDTH / 2, xy[:, 1] + offset[1] - HEIGHT / 2
        return np.c_[ox + cos * x - sin * y, oy + sin * x + cos * y]

    # vertices every 25 m first: a long straight edge is slightly curved in lon/lat, and
    # shared boundaries must bend the same way in every layer that has them
    source = np.asarray(geoms, dtype=object)
    dense = shapely.segmentize(source, 25.0)
    # GEOS returns a one-part MultiPolygon densified as a Polygon; the tables want multi
    lost = (shapely.get_type_id(source) == 6) & (shapely.get_type_id(dense) == 3)
    dense[lost] = shapely.multipolygons(dense[lost], indices=np.arange(lost.sum()))
    metric = shapely.transform(dense, affine)
    return gpd.GeoSeries(metric, crs=METRIC_EPSG).to_crs(STORAGE_SRID)
