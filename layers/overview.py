"""The overview page (``/map``): grids by households, communities, buildings, facilities, water."""

from __future__ import annotations

from functools import partial

import folium
import geopandas as gpd
from branca.element import MacroElement
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.grids import registry
from gis.places import buildings, facilities, regions, water
from layers import assets, catalogue, page, shell
from layers import buildings as building_layers
from layers import facilities as facility_layers
from layers import grids as grid_layers
from layers import regions as region_layers
from layers import water as water_layers

LEGEND_LAYERS = ("grids", "communities", "buildings", "water", "facilities")
TILES_MISSING = ("建筑较多，但矢量瓦片插件未安装 "
                 "(Leaflet.VectorGrid missing: run make install)")


def render_overview(session: Session, caller: Caller, *, theme: str = "unified",
                    community_code: str | None = None, basemap_url: str | None = None,
                    building_embed_max: int = building_layers.EMBED_MAX,
                    csrf: str | None = None) -> str:
    """The overview map's HTML for ``theme`` (optionally one community); offline-ready.

    Everything is read through the gis read services (EPSG:4490) and drawn as lon/lat.
    Up to ``building_embed_max`` buildings are embedded in the page as GeoJSON; more are
    drawn from the vector tiles ``/tiles/buildings/...`` (see ``_building_layer``).
    """
    grid_frame = registry.list_grids(session, theme=theme, community_code=community_code)
    communities = regions.list_regions(session, level="community")
    if community_code is not None:
        communities = communities[communities["code"] == community_code]
    bounds = page.frame_bounds(grid_frame, communities)
    fmap = page.base_map(bounds, title=f"网格总览图 · {grid_layers.THEME_LABELS[theme]}",
                         basemap_url=basemap_url)
    water_frame = water.list_water_areas(session, bbox=bounds)
    building_frame, building_tiles = _buildings(session, caller, community_code=community_code,
                                                bbox=bounds, embed_max=building_embed_max)
    facility_frame = facilities.list_facilities(session, community_code=community_code)
    # bottom to top; a layer with nothing to draw is left out (folium needs one feature)
    for frame, build in ((grid_frame, grid_layers.grid_layer),
                         (water_frame, water_layers.water_layer),
                         (communities, region_layers.community_layer),
                         (building_frame, partial(building_layers.building_layer, caller=caller)),
                         (grid_frame, grid_layers.grid_label_layer),
                         (facility_frame, facility_layers.facility_layer)):
        if frame is not None and not frame.empty:
            build(frame).add_to(fmap)
    if building_tiles is not None:  # a pane of its own: above the grids, under the icons
        building_tiles.add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    page.add_legend(fmap, [catalogue.get_layer(key) for key in LEGEND_LAYERS])
    shell.add_shell(fmap, caller, active="/map", csrf=csrf)
    fmap.add_child(page.ZoomGate({
        "gm-grid-label": catalogue.get_layer("grid_labels").min_zoom,
        "gm-code": catalogue.GRID_CODE_MIN_ZOOM,
        "gm-building": catalogue.get_layer("buildings").min_zoom}))
    return page.render(fmap)


def _buildings(session: Session, caller: Caller, *, community_code: str | None,
               bbox: page.Bounds | None, embed_max: int,
               ) -> tuple[gpd.GeoDataFrame | None, MacroElement | None]:
    """``(frame, None)``: the buildings in ``bbox`` (EPSG:4490) to embed, at most
    ``embed_max`` of them; else ``(None, tile layer)`` (footprints only for anonymous
    callers, as embedded), or ``(None, a note)`` when VectorGrid is missing."""
    # one row fetched, the total counted by the listing's count(*) OVER ()
    matched = buildings.list_buildings(session, community_code=community_code, bbox=bbox,
                                       limit=1).attrs["number_matched"]
    if matched <= embed_max:
        frame = buildings.list_buildings(session, community_code=community_code, bbox=bbox)
        return frame, None
    if not assets.has_vectorgrid():
        return None, page.Panel(TILES_MISSING, position="bottomleft", css_class="gm-panel")
    return None, building_layers.building_tile_layer(details=not caller.is_anonymous)
