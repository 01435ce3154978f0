"""Grids of the demo district: the unified layer, thematic layers, and the grid workers.

Local metres (see ``layout``). Unified grids are built from whole runs of buildings: within a
community the residential buildings are ordered (block by block, Hilbert order inside a block)
and cut where the running household count passes equal shares; a grid's polygon is the union
of its buildings' Voronoi cells, so the grids tile the community without gaps. One community
aims at too many households per grid and one at too few, so the balancing tools have work.
"""

from __future__ import annotations

from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

from gis.demo import names
from gis.demo.layout import Layout
from gis.demo.people import person_names, phones, surnames

# households a grid aims at, per community: 孔望 too many (>500), 凤凰 too few (<300)
GRID_TARGET = (450, 450, 700, 450, 230, 450)
THEMES = {"party": ("党建网格", 3), "security": ("综治网格", 4), "civil": ("民政网格", 5)}
URBAN_CELL = 380.0  # 城管 unit grids: squares of this side, clipped to communities
DUTIES = ("负责网格内人口信息采集与更新、矛盾纠纷排查化解、安全隐患巡查上报、"
          "政策宣传和便民服务代办")
PART_TIME_DUTIES = "协助专职网格员开展楼栋巡查、信息采集和邻里互助（兼职）"


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Valid multipolygons without slivers (grid boundaries come from overlays)."""
    geoms = shapely.make_valid(geoms)
    parts = [shapely.get_parts(g) for g in geoms]  # a few dozen grids
    return np.array([shapely.multipolygons([p for p in ps if p.geom_type == "Polygon"
                                            and p.area > 1.0]) for ps in parts], dtype=object)


def _voronoi_cells(points: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """Voronoi cell of each point (input order), clipped to ``region``."""
    cells = shapely.voronoi_polygons(MultiPoint(list(points)), extend_to=region, ordered=True)
    return shapely.intersection(np.asarray(shapely.get_parts(cells)), region)


def _community_grids(code: str, name: str, area: Polygon, target: int,
                     cells: gpd.GeoDataFrame, blds: gpd.GeoDataFrame) -> list[dict]:
    rows: list[dict] = []
    special = cells[(cells["community_code"] == code) & (cells["role"] != "compound")]
    rest = area.difference(shapely.union_all(np.asarray(special["cell"]))) if len(
        special) else area
    mine = blds[(blds["community_code"] == code) & (blds["role"] == "compound")].copy()
    mine["h"] = mine.geometry.hilbert_distance(total_bounds=area.bounds)
    mine = mine.sort_values(["cell_id", "h"])
    hh = mine["households"].to_numpy()
    k = max(1, round(hh.sum() / target))
    chunk = np.minimum(((np.cumsum(hh) - hh / 2) / max(hh.sum(), 1) * k).astype(int), k - 1)
    vor = _voronoi_cells(shapely.centroid(np.asarray(mine.geometry)), rest)
    polys = [shapely.union_all(vor[chunk == c]) for c in range(k)]
    for seq, geom in enumerate(polys, start=1):
        rows.append({"code": f"{code}{seq:03d}", "name": f"{name}第{seq}网格",
                     "kind": "residential", "geometry": geom})
    for seq, (label, kind, geom) in enumerate(zip(
            special["label"], special["grid_kind"], special["cell"], strict=True),
            start=k + 1):
        rows.append({"code": f"{code}{seq:03d}", "name": f"{label}专属网格", "kind": kind,
                     "geometry": geom.intersection(area)})
    for row in rows:
        row["community_code"] = code
    return rows


def make_unified(layout: Layout, buildings: gpd.GeoDataFrame, *,
                 targets: tuple[int, ...] = GRID_TARGET) -> gpd.GeoDataFrame:
    """About 60 unified grids (theme 'unified'), codes = community code + 3 digits;
    ``targets``: households a grid aims at, per community."""
    rows = []
    for (code, name, area), target in zip(layout.communities.itertuples(index=False),
                                          targets, strict=True):  # six communities
        rows += _community_grids(code, name, area, target, layout.cells, buildings)
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    frame["geometry"] = _multi(np.asarray(frame.geometry))
    frame["theme"] = "unified"
    return frame


def _points_in(rng: np.random.Generator, area: Polygon, n: int) -> np.ndarray:
    """``n`` uniform random points inside ``area`` (rejection sampling, vectorised)."""
    x0, y0, x1, y1 = area.bounds
    # arrays in, an array out (the stubs' overload for array-likes also allows one Point)
    pts = cast(np.ndarray, shapely.points(rng.uniform(x0, x1, 40 * n),
                                          rng.uniform(y0, y1, 40 * n)))
    return pts[shapely.contains(area, pts)][:n]


def make_thematic(rng: np.random.Generator, layout: Layout) -> gpd.GeoDataFrame:
    """Party, security and civil grids (Voronoi partitions of each community that disagree
    with the unified grids and with each other) and 城管 urban unit squares."""
    rows = []
    for code, name, area in layout.communities.itertuples(index=False):  # six communities
        for theme, (label, n) in THEMES.items():
            cells = _voronoi_cells(_points_in(rng, area, n), area)
            rows += [{"code": f"{code}{theme[0].upper()}{i:02d}", "name": f"{name}{label}{i}",
                      "theme": theme, "community_code": code, "geometry": g}
                     for i, g in enumerate(cells, start=1)]
        x0, y0, x1, y1 = area.bounds
        xs, ys = np.meshgrid(np.arange(x0, x1, URBAN_CELL), np.arange(y0, y1, URBAN_CELL))
        squares = shapely.intersection(
            shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + URBAN_CELL,
                        ys.ravel() + URBAN_CELL), area)
        squares = squares[shapely.area(squares) > 2000]
        rows += [{"code": f"{code}U{i:02d}", "name": f"{name}城管单元{i}", "theme": "urban",
                  "community_code": code, "geometry": g}
                 for i, g in enumerate(squares, start=1)]
    frame = gpd.GeoDataFrame(rows, geometry="geometry")
    frame["geometry"] = _multi(np.asarray(frame.geometry))
    frame["kind"] = "residential"
    return frame


def make_workers(rng: np.random.Generator, unified: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    """One full-time worker per unified grid, part-timers for about a third of them.

    Returns (workers, links); links refer to rows of ``unified`` by position (``grid``) and
    to workers by position (``worker``).
    """
    n = len(unified)
    part = np.flatnonzero(rng.random(n) < 0.35)
    grid = np.r_[np.arange(n), part]
    full = np.r_[np.ones(n, bool), np.zeros(part.size, bool)]
    male = rng.random(grid.size) < 0.4
    codes = unified["code"].to_numpy()[grid]
    workers = pd.DataFrame({
        "code": np.where(full, np.char.add("W", codes.astype(str)),
                         np.char.add(np.char.add("W", codes.astype(str)), "P")),
        "name": person_names(rng, surnames(rng, grid.size), male),
        "role": np.where(full, "full_time", "part_time"),
        "phone": phones(rng, grid.size),
        "duties": np.where(full, DUTIES, PART_TIME_DUTIES),
        "supervision_phone": names.SUPERVISION_PHONE,
    })
    links = pd.DataFrame({"worker": np.arange(grid.size), "grid": grid, "is_primary": full})
    return workers, links
