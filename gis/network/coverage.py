"""Coverage of buildings by facilities within a walking budget, measured on the network.

Each building's walking distance to its nearest facility of a type comes from ONE
multi-source Dijkstra run (scipy ``min_only``) over the network read once: distance =
metres from the building's point on surface to the network (its snap) + metres along the
network to the nearest facility's snapped entrance. A building is covered when that is
within the budget. Polygons (gis/network/circles.py) are for display only; coverage never overlaps
polygons. Buildings farther than 200 m from the network count as not covered.
"""

from __future__ import annotations

import time
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import frames, sql
from gis.core.errors import InvalidInput
from gis.models.facilities import FACILITY_TYPES
from gis.network import circles, roads, walking

LEVELS: Final = {"grid": ("grid_code", "grid_name"),
                 "community": ("community_code", "community_name"),
                 "subdistrict": ("subdistrict_code", "subdistrict_name")}


def check_type(type: str) -> str:
    if type not in FACILITY_TYPES:
        raise InvalidInput(f"unknown facility type '{type}': one of {', '.join(FACILITY_TYPES)}")
    return type


def buildings_frame(session: Session, scope_code: str | None = None) -> gpd.GeoDataFrame:
    """Buildings (of region ``scope_code``; all when None) with point-on-surface lon/lat,
    counts and reporting units (EPSG:4490)."""
    return frames.frame_from_sql(session, sql.load("coverage_buildings"),
                                 {"scope": jurisdiction.scope_prefix(scope_code or None)})


def _serial(session: Session) -> None:
    """No parallel workers for the rest of this transaction: a scope's statements read a few
    thousand rows by index, but the planner prices the city's building table and plans a
    Gather whose start costs more than the scan (5-10 ms of a 10 ms read)."""
    session.execute(text("SELECT set_config('max_parallel_workers_per_gather', '0', true)"))


def grown_bounds(frame: gpd.GeoDataFrame, metres: float) -> tuple[float, float, float, float]:
    """The EPSG:4490 bounds of ``frame``'s geometries grown by at least ``metres`` each way
    (degrees from the shortest metre-per-degree, so never short)."""
    x0, y0, x1, y1 = (float(v) for v in frame.total_bounds)
    dy = metres / 110_574.0
    top = min(max(abs(y0), abs(y1)) + dy, 89.0)
    dx = metres / (111_320.0 * float(np.cos(np.radians(top))))
    return (x0 - dx, y0 - dy, x1 + dx, y1 + dy)


def _reach(blds: gpd.GeoDataFrame, budget: float, scoped: bool) -> tuple[
        tuple[float, float, float, float] | None, tuple[float, float, float, float] | None]:
    """The boxes (EPSG:4490) of the facilities and of the edges a scope's buildings can
    reach within ``budget``, or (None, None) for the whole district.

    A covered building's walk stays within ``budget`` of it; the facility's start lies
    within MAX_SNAP_M of where the walk meets the network, and its nearest edge within
    MAX_SNAP_M of that start, so every loaded facility snaps as on the whole network.
    """
    if not scoped or blds.empty:
        return None, None
    margin = 50.0 + 0.02 * budget  # metric CRS scale and degree rounding
    facs = budget + walking.MAX_SNAP_M + margin
    return grown_bounds(blds, facs), grown_bounds(blds, facs + walking.MAX_SNAP_M + margin)


def walk_to_buildings(session: Session, graph: roads.Graph, starts: walking.Snaps,
                      buildings: pd.DataFrame, *, srid: int,
                      limit: float = np.inf) -> pd.DataFrame:
    """Per building: distance_m to the nearest start (network + snap) and its index.

    One multi-source Dijkstra; same-edge pairs are added, since a walk between two points of
    one edge need not reach an end. Unreached: distance inf, nearest -1.
    """
    points = walking.snap(graph, buildings["lon"], buildings["lat"])
    node_dist, which = walking.nearest_start(graph, starts, limit=limit)
    row = np.maximum(points.edge_row, 0)
    length = graph.length[row]
    via_u = node_dist[graph.source[row]] + points.fraction * length
    via_v = node_dist[graph.target[row]] + (1 - points.fraction) * length
    best = np.where(via_u <= via_v, which[graph.source[row]], which[graph.target[row]])
    dist = np.minimum(via_u, via_v)
    same = walking.same_edge_distances(graph, starts, points)
    if same.size:
        closer = same.min(axis=0) < dist
        best = np.where(closer, same.argmin(axis=0), best)
        dist = np.minimum(dist, same.min(axis=0))
    off = points.snap_m > walking.MAX_SNAP_M
    dist = np.where(off, np.inf, dist + points.snap_m)
    return pd.DataFrame({"distance_m": dist, "nearest": np.where(np.isfinite(dist), best, -1),
                         "snap_m": points.snap_m, "off_network": off})


def coverage_frame(session: Session, *, type: str, minutes: float = circles.DEFAULT_MINUTES,
                   speed: float = circles.DEFAULT_SPEED,
                   scope_code: str | None = None) -> gpd.GeoDataFrame:
    """Every building (of region ``scope_code``, when given) with distance_m, covered,
    facility_id (nearest by walking), EPSG:4490.

    With a scope only the edges and facilities within the walk of its buildings are read:
    covered, and distance_m/facility_id of covered buildings, are as on the whole network;
    beyond the budget they are the walk found within that reach.
    ``.attrs`` holds the facilities used and those off the network.
    """
    budget = circles.budget_m(minutes, speed)
    check_type(type)
    if scope_code is not None:
        _serial(session)
    blds = buildings_frame(session, scope_code)
    fac_box, edge_box = _reach(blds, budget, scope_code is not None)
    graph = roads.read_graph(session, bbox=edge_box)
    srid = graph.srid
    facs = circles.facility_starts(session, type=type, bbox=fac_box)
    fsnap = walking.snap(graph, facs["lon"], facs["lat"])
    ok = fsnap.snap_m <= walking.MAX_SNAP_M
    starts = walking.Snaps(fsnap.edge_row[ok], fsnap.fraction[ok], fsnap.snap_m[ok])
    used = facs[ok].reset_index(drop=True)
    if len(used):
        walk = walk_to_buildings(session, graph, starts, blds, srid=srid)
    else:
        walk = pd.DataFrame({"distance_m": np.inf, "nearest": -1, "snap_m": np.nan,
                             "off_network": False}, index=blds.index)
    out = blds.join(walk)
    out["covered"] = out["distance_m"] <= budget
    nearest = out["nearest"].to_numpy()
    facility_id = np.full(len(out), None, dtype=object)
    facility_id[nearest >= 0] = used["id"].to_numpy()[nearest[nearest >= 0]]
    out["facility_id"] = facility_id
    out.attrs.update(facilities=used[["id", "name"]].to_dict("records"), budget_m=budget,
                     off_network=facs[~ok][["id", "name"]].to_dict("records"))
    return out.drop(columns=["nearest", "lon", "lat"])


def _rates(frame: pd.DataFrame, keys: list[str] | None) -> pd.DataFrame:
    """Buildings, households and residents, total and covered, and the household rate."""
    f = frame.assign(cb=frame["covered"].astype(int),
                     ch=frame["households"] * frame["covered"],
                     cr=frame["residents"] * frame["covered"])
    agg = {"buildings": ("id", "count"), "covered_buildings": ("cb", "sum"),
           "households": ("households", "sum"), "covered_households": ("ch", "sum"),
           "residents": ("residents", "sum"), "covered_residents": ("cr", "sum")}
    if not keys:  # the totals: one group holding everything
        return _rates(f.assign(_all=0), ["_all"]).drop(columns="_all")
    out = f.groupby(keys, dropna=False).agg(**agg).reset_index()
    out["rate"] = np.where(out["households"] > 0,
                           (out["covered_households"] / out["households"].where(
                               out["households"] > 0, 1)).round(4), np.nan)
    return out


def in_scope(frame: pd.DataFrame, scope_code: str | None) -> pd.DataFrame:
    """The buildings whose community lies in region ``scope_code`` (codes nest by prefix)."""
    return frame[jurisdiction.inside_series(frame["community_code"], scope_code or None)]


def summary_of(frame: pd.DataFrame) -> dict:
    """Totals of a coverage_frame: buildings, households, residents, covered, rate (0–1;
    None without households, e.g. before any building is imported)."""
    if frame.empty:
        return {"buildings": 0, "covered_buildings": 0, "households": 0,
                "covered_households": 0, "residents": 0, "covered_residents": 0, "rate": None}
    return _records(_rates(frame, None))[0]


def get_coverage(session: Session, *, type: str, minutes: float = circles.DEFAULT_MINUTES,
                 speed: float = circles.DEFAULT_SPEED, level: str = "community",
                 scope_code: str | None = None, uncovered_limit: int = 500) -> dict:
    """Coverage of ``type`` facilities: totals, per ``level`` unit, uncovered buildings with
    households (most households first), and each facility's catchment. Rates are shares of
    households (0–1); distances are metres. ``scope_code`` (a region code) keeps only the
    buildings of that region and reads only what their walk reaches; facilities outside it
    still serve them (``facilities`` and ``catchments`` are those within reach)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}")
    started = time.perf_counter()
    frame = coverage_frame(session, type=type, minutes=minutes, speed=speed,
                           scope_code=scope_code or None)
    code, name = LEVELS[level]
    units = _rates(frame, [code, name]).rename(columns={code: "code", name: "name"})
    return {
        "type": type, "minutes": minutes, "speed_m_per_min": speed,
        "distance_m": frame.attrs["budget_m"], "level": level,
        "facilities": len(frame.attrs["facilities"]),
        "facilities_off_network": frame.attrs["off_network"],
        "summary": summary_of(frame),
        "units": _records(units.sort_values("code", na_position="last")),
        "uncovered": _uncovered(frame, uncovered_limit),
        "catchments": _catchments(frame),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _uncovered(frame: pd.DataFrame, limit: int) -> list[dict]:
    rows = frame[~frame["covered"] & (frame["households"] > 0)]
    rows = rows.sort_values(["households", "id"], ascending=[False, True]).head(limit)
    cols = ["id", "code", "address", "compound", "households", "residents", "grid_code",
            "community_code", "distance_m", "off_network"]
    return _records(rows[cols].assign(
        distance_m=rows["distance_m"].where(np.isfinite(rows["distance_m"])).round(1)))


def _catchments(frame: pd.DataFrame) -> list[dict]:
    """Buildings, households and residents nearest (by walking) to each facility, and how
    many of them are within the budget."""
    names = {f["id"]: f["name"] for f in frame.attrs["facilities"]}
    got = frame[frame["facility_id"].notna()]
    got = got.assign(ch=got["households"] * got["covered"],
                     facility_id=got["facility_id"].astype("int64"))
    agg = got.groupby("facility_id").agg(buildings=("id", "count"),
                                         households=("households", "sum"),
                                         residents=("residents", "sum"),
                                         covered_households=("ch", "sum")).reset_index()
    agg = pd.DataFrame({"facility_id": np.array(list(names), dtype="int64")}).merge(
        agg, on="facility_id", how="left")
    counts = ["buildings", "households", "residents", "covered_households"]
    agg[counts] = agg[counts].fillna(0).astype("int64")  # a facility no building is nearest to
    agg = agg.assign(name=agg["facility_id"].map(names))
    return _records(agg)


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-safe records: numpy scalars to Python, NaN and inf to None."""
    clean = frame.replace([np.inf, -np.inf], np.nan).astype(object)
    clean = clean.where(pd.notna(clean), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
            for rec in clean.to_dict("records")]
