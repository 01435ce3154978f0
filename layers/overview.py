"""The overview page (``/map``): grids by households, communities, buildings, facilities, water."""

from __future__ import annotations

from functools import partial

import folium
from sqlalchemy.orm import Session

from gis import buildings, facilities, grids, regions, water
from gis.callers import Caller
from layers import buildings as building_layers
from layers import catalogue, login, page
from layers import facilities as facility_layers
from layers import grids as grid_layers
from layers import regions as region_layers
from layers import water as water_layers

LEGEND_LAYERS = ("grids", "communities", "buildings", "water", "facilities")


def render_overview(session: Session, caller: Caller, *, theme: str = "unified",
                    community_code: str | None = None, basemap_url: str | None = None) -> str:
    """The overview map's HTML for ``theme`` (optionally one community); offline-ready.

    Everything is read through the gis read services (EPSG:4490) and drawn as lon/lat.
    """
    grid_frame = grids.list_grids(session, theme=theme, community_code=community_code)
    communities = regions.list_regions(session, level="community")
    if community_code is not None:
        communities = communities[communities["code"] == community_code]
    bounds = page.frame_bounds(grid_frame, communities)
    fmap = page.base_map(bounds, title=f"网格总览图 · {grid_layers.THEME_LABELS[theme]}",
                         basemap_url=basemap_url)
    water_frame = water.list_water_areas(session, bbox=bounds)
    building_frame = buildings.list_buildings(session, community_code=community_code,
                                              bbox=bounds)
    facility_frame = facilities.list_facilities(session, community_code=community_code)
    # bottom to top; a layer with nothing to draw is left out (folium needs one feature)
    for frame, build in ((grid_frame, grid_layers.grid_layer),
                         (water_frame, water_layers.water_layer),
                         (communities, region_layers.community_layer),
                         (building_frame, partial(building_layers.building_layer, caller=caller)),
                         (grid_frame, grid_layers.grid_label_layer),
                         (facility_frame, facility_layers.facility_layer)):
        if not frame.empty:
            build(frame).add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    page.add_legend(fmap, [catalogue.get_layer(key) for key in LEGEND_LAYERS])
    login.add_account(fmap, caller)
    fmap.add_child(page.ZoomGate({
        "gm-grid-label": catalogue.get_layer("grid_labels").min_zoom,
        "gm-code": catalogue.GRID_CODE_MIN_ZOOM,
        "gm-building": catalogue.get_layer("buildings").min_zoom}))
    return page.render(fmap)
