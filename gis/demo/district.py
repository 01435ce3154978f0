"""The whole demo district as frames in EPSG:4490, from one seed (pure, no database).

Geometry is built in local metres, moved into EPSG:4549 and converted to EPSG:4490 once
(``layout.place``). Rows refer to each other by position (``building``, ``household``,
``grid``, ``worker``, ``source``/``target`` node, ``event``); the loader turns positions
into database ids.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.core import crs
from gis.demo import buildings as buildings_mod
from gis.demo import events as events_mod
from gis.demo import facilities as facilities_mod
from gis.demo import grids as grids_mod
from gis.demo import layout as layout_mod
from gis.demo import names, network, people


@dataclass
class DemoData:
    """Every table's rows of the demo district (geometry in EPSG:4490)."""

    regions: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    workers: pd.DataFrame
    worker_grids: pd.DataFrame
    buildings: gpd.GeoDataFrame
    households: pd.DataFrame
    residents: pd.DataFrame
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    events: gpd.GeoDataFrame
    event_log: pd.DataFrame

    def counts(self) -> dict[str, int]:
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class Knobs:
    """What a copy of the district may change (the city tiles copies): the defaults are the
    demo. ``offset`` in local metres; ``grid_targets`` households per unified grid."""

    offset: tuple[float, float] = (0.0, 0.0)
    households: int = buildings_mod.TARGET_HOUSEHOLDS
    grid_targets: tuple[int, ...] = grids_mod.GRID_TARGET
    events: int = events_mod.N_EVENTS
    period: tuple[pd.Timestamp, pd.Timestamp] = (events_mod.START, events_mod.END)


DEMO = Knobs()


def _placed(frame: gpd.GeoDataFrame, knobs: Knobs = DEMO) -> gpd.GeoDataFrame:
    """``frame`` with its geometry moved from local metres to EPSG:4490 (multipolygons kept)."""
    out = frame.copy()
    return out.set_geometry(layout_mod.place(frame.geometry, offset=knobs.offset).values,
                            crs=4490)


def _regions(lay: layout_mod.Layout) -> gpd.GeoDataFrame:
    rows = pd.DataFrame({
        "code": [names.DISTRICT_CODE, names.SUBDISTRICT_CODE, *lay.communities["code"]],
        "name": [names.DISTRICT_NAME, names.SUBDISTRICT_NAME, *lay.communities["name"]],
        "level": ["district", "subdistrict", *["community"] * len(lay.communities)],
        "parent_code": [None, names.DISTRICT_CODE,
                        *[names.SUBDISTRICT_CODE] * len(lay.communities)]})
    geoms = [lay.district, lay.subdistrict, *lay.communities.geometry]
    return gpd.GeoDataFrame(rows, geometry=shapely.multipolygons(
        [shapely.get_parts(g) for g in geoms]))


def _people(rng: np.random.Generator, blds: gpd.GeoDataFrame) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    households = people.make_households(rng, blds)
    residents = people.make_residents(rng, households)
    residents["building"] = households["building"].to_numpy()[residents["household"]]
    head = residents.drop_duplicates("household").set_index("household")
    households["head_name"] = head["name"].reindex(households.index).to_numpy()
    households["phone"] = head["phone"].reindex(households.index).to_numpy()
    blds["residents"] = residents.groupby("building").size().reindex(
        blds.index, fill_value=0).to_numpy()
    return households, residents


def _through_gcj02(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Events marked gcj02 take the path real ones do: the app's GCJ-02 coordinates (some
    hundreds of metres off) converted back to CGCS2000 with ``gis.core.crs`` before storage."""
    marked = (events["source_crs"] == "gcj02").to_numpy()
    pts = np.asarray(events.geometry)[marked]
    app_lon, app_lat = crs.wgs84_to_gcj02(shapely.get_x(pts), shapely.get_y(pts))
    lon, lat = crs.to_storage(app_lon, app_lat, crs.GCJ02)
    geoms = np.asarray(events.geometry).copy()
    geoms[marked] = shapely.points(lon, lat)
    return events.set_geometry(geoms, crs=events.crs)


def _name_lanes(edges: gpd.GeoDataFrame, cells: gpd.GeoDataFrame,
                comp: pd.DataFrame) -> None:
    """Lanes take the name of the compound they run through (小区内部道路), in place."""
    lane = (edges["kind"] == "lane").to_numpy()
    mid = shapely.line_interpolate_point(np.asarray(edges.geometry)[lane], 0.5, normalized=True)
    point_idx, cell_idx = shapely.STRtree(np.asarray(cells["cell"])).query(
        mid, predicate="within")
    names_ = np.full(lane.sum(), None, dtype=object)
    names_[point_idx] = np.char.add(comp["compound"].to_numpy()[cell_idx].astype(str),
                                    "内部道路")
    edges.loc[lane, "name"] = names_


def generate(seed: int = 42, *, knobs: Knobs = DEMO) -> DemoData:
    """The demo district for ``seed``: same seed, identical data (``knobs``: see Knobs)."""
    rng = np.random.default_rng(seed)
    lay = layout_mod.make_layout(rng, slot=buildings_mod.SLOT)
    comp = buildings_mod.compounds(rng, lay.cells, lay.streets)
    blds = buildings_mod.make_buildings(rng, lay.cells, comp, households=knobs.households)
    nodes, edges = network.node_lines(lay.roads)
    _name_lanes(edges, lay.cells, comp)
    facilities, used = facilities_mod.make_facilities(rng, lay, blds, edges)
    blds.loc[used, "use"] = "public"  # 配套用房 now housing a service
    households, residents = _people(rng, blds)
    blds["geometry"] = shapely.multipolygons(np.asarray(blds.geometry),
                                             indices=np.arange(len(blds)))
    unified = grids_mod.make_unified(lay, blds, targets=knobs.grid_targets)
    thematic = grids_mod.make_thematic(rng, lay)
    workers, links = grids_mod.make_workers(rng, unified)
    events = events_mod.make_events(rng, blds, edges, lay.subdistrict, n=knobs.events,
                                    period=knobs.period)
    log = events_mod.make_event_log(rng, events, end=knobs.period[1])
    facilities["entrance"] = layout_mod.place(facilities["entrance"], offset=knobs.offset).values
    water = gpd.GeoDataFrame({"name": [names.RIVER_NAME]},
                             geometry=[shapely.multipolygons(shapely.get_parts(lay.river))])
    return DemoData(
        regions=_placed(_regions(lay), knobs), water=_placed(water, knobs),
        grids=_placed(pd.concat([unified, thematic], ignore_index=True), knobs),
        workers=workers, worker_grids=links, buildings=_placed(blds, knobs),
        households=households, residents=residents, nodes=_placed(nodes, knobs),
        edges=_placed(edges, knobs), facilities=_placed(facilities, knobs),
        events=_through_gcj02(_placed(events, knobs)), event_log=log)
