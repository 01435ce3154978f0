"""Reading what a plan works on: its communities, current grids, building atoms and water.

Everything comes back in the metric CRS of the scope (CGCS2000 3° Gauss-Kruger zone,
``crs.metric_epsg``) so areas, lengths and Voronoi cells are in metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from shapely.geometry.base import BaseGeometry
from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

from gis.core import crs, sql
from gis.core.errors import InvalidInput, NotFound
from gis.core.frames import frame_from_sql
from gis.models.admin import GRID_THEMES
from gis.plans import cells


@dataclass
class Scope:
    """A plan's scope: its communities, grids and atoms in one metric CRS (``epsg``)."""

    code: str
    epsg: int
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    atoms: gpd.GeoDataFrame
    adjacency: sparse.csr_matrix = field(default_factory=lambda: sparse.csr_matrix((0, 0)))
    """Shared boundary (m) between the atoms' cells; empty until ``attach_cells``."""
    water: BaseGeometry | None = None
    themes: tuple[str, ...] = field(default_factory=tuple)


def _array(name: str) -> BindParameter[Any]:
    return bindparam(name, type_=ARRAY(TEXT))


def load_communities(session: Session, scope_code: str) -> gpd.GeoDataFrame:
    """The communities of a community or subdistrict ``scope_code`` (EPSG:4490)."""
    query = text("""
        SELECT r.code, r.name, r.geom FROM region r
        WHERE r.level = 'community' AND (r.code = :scope OR r.parent_code = :scope)
        ORDER BY r.code""")
    frame = gpd.read_postgis(query, session.connection(), params={"scope": scope_code},
                             geom_col="geom", crs=4490)
    if frame.empty:
        raise NotFound(f"no community or subdistrict with code '{scope_code}' "
                       "(a plan covers one community or one subdistrict)")
    return frame


def load_grids(session: Session, communities: list[str],
               themes: tuple[str, ...] = ("unified",)) -> gpd.GeoDataFrame:
    """Current grids of ``themes`` in ``communities`` (EPSG:4490)."""
    query = text("""
        SELECT id, code, name, theme, kind, community_code, locked, version, geom
        FROM grid WHERE valid_to IS NULL AND theme = ANY(:themes)
          AND community_code = ANY(:communities) ORDER BY theme, code
    """).bindparams(_array("themes"), _array("communities"))
    return gpd.read_postgis(query, session.connection(), geom_col="geom", crs=4490,
                            params={"themes": list(themes), "communities": communities})


def load_atoms(session: Session, communities: list[str],
               themes: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Buildings of ``communities`` with their current unified grid and, for each of
    ``themes``, a column ``theme_<t>`` with the grid of that theme holding them (EPSG:4490)."""
    query = text(sql.load("plan_atoms")).bindparams(_array("communities"))
    atoms = gpd.read_postgis(query, session.connection(), geom_col="geom", crs=4490,
                             params={"communities": communities})
    if themes:
        q2 = text(sql.load("plan_memberships")).bindparams(_array("communities"),
                                                            _array("themes"))
        member = pd.read_sql(q2, session.connection(),
                             params={"communities": communities, "themes": list(themes)})
        wide = member.pivot(index="building_id", columns="theme", values="grid_id")
        for theme in themes:
            col = wide[theme] if theme in wide.columns else pd.Series(dtype="float64")
            atoms[f"theme_{theme}"] = atoms["building_id"].map(col).astype("Int64")
    atoms["grid_id"] = atoms["grid_id"].astype("Int64")
    return atoms


def load_water(session: Session, area: BaseGeometry) -> BaseGeometry | None:
    """Water surfaces meeting ``area`` (EPSG:4490), or None (also when there is no table)."""
    exists = session.execute(text("SELECT to_regclass('water_area') IS NOT NULL")).scalar()
    if not exists:
        return None
    frame = frame_from_sql(session, "SELECT geom FROM water_area "
                           "WHERE geom && ST_GeomFromEWKB(:box)", {"box": _envelope_ewkb(area)})
    return None if frame.empty else shapely.union_all(frame.geometry.to_numpy())


BARRIER_ROADS = ("main", "secondary", "primary", "trunk", "motorway", "railway", "rail")
"""road_edge kinds wider than a lane (and railways): barriers when the planner asks."""
BARRIER_HALF_WIDTH_M = 1.0
"""Barrier lines are widened by this (m) each side so they cut the cells they cross."""


def load_barriers(session: Session, area: BaseGeometry) -> BaseGeometry | None:
    """Roads wider than a lane and railways (BARRIER_ROADS) meeting ``area``, as lines in
    EPSG:4490, or None."""
    frame = frame_from_sql(session, "SELECT geom FROM road_edge WHERE kind = ANY(:kinds) "
                           "AND geom && ST_GeomFromEWKB(:box)",
                           {"box": _envelope_ewkb(area), "kinds": list(BARRIER_ROADS)})
    return None if frame.empty else shapely.union_all(frame.geometry.to_numpy())


def _barrier(session: Session, area: BaseGeometry, epsg: int, water: BaseGeometry | None,
             roads: bool) -> BaseGeometry | None:
    """Water, and with ``roads`` the barrier roads widened, in metric CRS ``epsg``."""
    parts = [] if water is None else [gpd.GeoSeries([water], crs=4490).to_crs(epsg)[0]]
    lines = load_barriers(session, area) if roads else None
    if lines is not None:
        metric = gpd.GeoSeries([lines], crs=4490).to_crs(epsg)[0]
        parts.append(shapely.buffer(metric, BARRIER_HALF_WIDTH_M, cap_style="flat"))
    return shapely.union_all(parts) if parts else None


def _envelope_ewkb(geom: shapely.Geometry) -> bytes:
    return shapely.to_wkb(shapely.set_srid(shapely.envelope(geom), 4490), include_srid=True)


def load_scope(session: Session, scope_code: str, *, themes: tuple[str, ...] = (),
               segment_m: float | None = cells.SEGMENT_M,
               only: list[str] | None = None, barriers: bool = False) -> Scope:
    """Communities, grids (unified and ``themes``), atoms with cells and their adjacency;
    each atom's ``load`` is its households (gis.plans.load weighs more).

    ``barriers``: roads wider than a lane and railways cut the cells like water does, so
    buildings across them are not adjacent and no grid crosses them.

    ``only``: keep just these communities of the scope. Cells never cross a community
    (attach_cells), and the metric CRS and water are still those of the whole scope, so
    their cells and adjacency are exactly the whole scope's restricted to them."""
    unknown = set(themes) - set(GRID_THEMES) | ({"unified"} & set(themes))
    if unknown:
        raise InvalidInput(f"themes to merge must be among {', '.join(GRID_THEMES[1:])}; "
                           f"got {', '.join(sorted(unknown))}")
    communities = load_communities(session, scope_code)
    epsg = crs.metric_epsg_of(communities.total_bounds)
    outline = communities.geometry.union_all()
    water = _barrier(session, outline, epsg, load_water(session, outline), barriers)
    if only is not None:
        communities = communities[communities["code"].isin(only)]
    codes = communities["code"].tolist()
    grids = load_grids(session, codes, ("unified", *themes))
    scope = Scope(
        code=scope_code, epsg=epsg, themes=themes,
        communities=_to_metric(communities, epsg), grids=_to_metric(grids, epsg),
        atoms=load_atoms(session, codes, themes).to_crs(epsg),
        water=water)
    scope.atoms["load"] = scope.atoms["households"].astype(float)
    attach_cells(scope, segment_m=segment_m)
    return scope


DENSIFY_DEG = 0.0001
"""Outlines are densified to ~10 m before projecting: a straight edge in degrees is a curve in
metres (a 2 km parallel sags ~5 cm), and plan grids must follow the stored outlines."""


def _to_metric(frame: gpd.GeoDataFrame, epsg: int) -> gpd.GeoDataFrame:
    out = frame.copy()
    out[out.geometry.name] = shapely.segmentize(out.geometry.values, DENSIFY_DEG)
    return out.to_crs(epsg)


def attach_cells(scope: Scope, *, segment_m: float | None = cells.SEGMENT_M) -> None:
    """Give every atom its cell (column ``cell``) and the scope its adjacency matrix."""
    atoms = scope.atoms.reset_index(drop=True)
    out = np.full(len(atoms), None, dtype=object)
    by_code = scope.communities.set_index("code").geometry
    for code, idx in atoms.groupby("community_code").indices.items():
        # one vectorised Voronoi per community: cells of two communities never compete
        out[idx] = cells.cells_from_buildings(atoms.geometry.iloc[idx], by_code[code],
                                              segment_m=segment_m)
    atoms["cell"] = gpd.GeoSeries(out, crs=scope.epsg).values
    scope.atoms = atoms
    scope.adjacency = cells.adjacency(out, barrier=scope.water,
                                      groups=atoms["community_code"].to_numpy())
