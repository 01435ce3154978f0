"""The overview page (``/map``): grids by households, communities, buildings, facilities, water.

The page's HTML holds the shell, the legend and empty layers, whatever the data volume; the
layers' data comes after load from ``/map/layers/overview`` for the map's view
(``overview_layers``, built by the same layer builders), buildings above the embedding limit
from the vector tiles; so do the grids of a district holding more than ``grid_embed_max``
(a city), whose labels then come only for views of at most that many grids.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

import folium
import geopandas as gpd
from branca.element import MacroElement
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.core.settings import Settings
from gis.grids import registry
from gis.places import buildings, facilities, regions, water
from layers import assets, basemaps, catalogue, deferred, grid_tiles, page, shell
from layers import buildings as building_layers
from layers import facilities as facility_layers
from layers import grids as grid_layers
from layers import regions as region_layers
from layers import water as water_layers

LEGEND_LAYERS = ("grids", "communities", "buildings", "water", "facilities")
TILES_MISSING = ("建筑较多，但矢量瓦片插件未安装 "
                 "(Leaflet.VectorGrid missing: run make install)")
LAYERS_URL = "/map/layers/overview"
GRID_EMBED_MAX = Settings.model_fields["map_grid_embed_max"].default
"""Most grids /map sends as GeoJSON (setting ``GRIDMAP_MAP_GRID_EMBED_MAX``)."""
SPECS: dict[str, dict[str, Any]] = {
    # key: (catalogue layer, spec for gmLayers.layer), bottom to top
    "grids": {**deferred.POPUP, "tooltip": "label", "options": {"className": "gm-grid"}},
    "water": {"options": {"interactive": False}},
    "communities": {"options": {"interactive": False}},
    "buildings": {**deferred.POPUP, "options": {"className": "gm-building"}},
    "grid_labels": {"label": "label", "labelClass": "gm-grid-label", "marker": {
        "kind": "circle", "options": {"radius": 0, "weight": 0, "fill": False,
                                      "interactive": False}}},
    "facilities": facility_layers.DEFERRED_SPEC,
}


def render_overview(session: Session, caller: Caller, *, theme: str = "unified",
                    community_code: str | None = None, basemap_url: str | None = None,
                    building_embed_max: int = building_layers.EMBED_MAX,
                    grid_embed_max: int = GRID_EMBED_MAX, csrf: str | None = None) -> str:
    """The overview map's HTML for ``theme`` (optionally one community); offline-ready.

    Opens on the grids' and communities' box (EPSG:4490 bounding boxes only); the layers
    arrive from ``/map/layers/overview`` (``overview_layers``). Up to ``building_embed_max``
    buildings come with them; more are drawn from the vector tiles ``/tiles/buildings``, and
    more than ``grid_embed_max`` grids from ``/tiles/grids``.
    """
    bounds = registry.map_extent(session, theme=theme, community_code=community_code)
    fmap = page.base_map(bounds, title=f"网格总览图 · {grid_layers.THEME_LABELS[theme]}",
                         basemap_url=basemap_url)
    shifted = basemaps.draws_in_gcj02(basemap_url)  # no /tiles under a GCJ-02 image
    grids_tiled = not shifted and _grids_tiled(session, theme=theme,
                                               community_code=community_code,
                                               embed_max=grid_embed_max)
    embed, tiles = _building_mode(session, caller, community_code=community_code, bbox=bounds,
                                  embed_max=-1 if grids_tiled else building_embed_max,
                                  tiles=not shifted)
    keys = [key for key in SPECS
            if (key != "buildings" or embed) and (key != "grids" or not grids_tiled)]
    layers = [deferred.DeferredLayer(key, name=catalogue.get_layer(key).label, spec=SPECS[key])
              for key in keys]
    query = {"theme": theme, **({"community": community_code} if community_code else {})}
    deferred.add_deferred(fmap, f"{LAYERS_URL}?{urlencode(query)}", layers, viewport=True)
    if grids_tiled:  # its pane before the buildings': footprints stay on top
        grid_tiles.grid_tile_layer(theme=theme, community_code=community_code).add_to(fmap)
    if tiles is not None:  # a pane of its own: above the grids, under the icons
        tiles.add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    page.add_legend(fmap, [catalogue.get_layer(key) for key in LEGEND_LAYERS])
    shell.add_shell(fmap, caller, active="/map", csrf=csrf)
    fmap.add_child(page.ZoomGate({
        "gm-grid-label": catalogue.get_layer("grid_labels").min_zoom,
        "gm-code": catalogue.GRID_CODE_MIN_ZOOM,
        "gm-building": catalogue.get_layer("buildings").min_zoom}))
    return page.render(fmap)


def overview_layers(session: Session, caller: Caller, *, theme: str = "unified",
                    community_code: str | None = None, bbox: page.Bounds | None = None,
                    building_embed_max: int = building_layers.EMBED_MAX,
                    grid_embed_max: int = GRID_EMBED_MAX,
                    basemap_url: str | None = None) -> dict[str, Any]:
    """The overview's layers inside ``bbox`` (lon/lat, EPSG:4490; None: all) as
    ``deferred.answer``: grids (only when the page embeds them: at most ``grid_embed_max``
    in the district), water, communities, buildings (only when the page embeds them: at most
    ``building_embed_max`` in its box), grid labels (at most ``grid_embed_max`` in ``bbox``;
    else ``left_out`` names them: a smaller view gets them) and facilities."""
    # under a GCJ-02 basemap the page draws no tiles: grids come embedded (shifted), but
    # only for a view of at most grid_embed_max of them ("grids" left out otherwise)
    shifted = basemaps.draws_in_gcj02(basemap_url)
    grids_tiled = not shifted and _grids_tiled(session, theme=theme,
                                               community_code=community_code,
                                               embed_max=grid_embed_max)
    many = (grids_tiled or shifted) and registry.count_grids(
        session, theme=theme, community_code=community_code, bbox=bbox,
        at_most=grid_embed_max) > grid_embed_max
    grid_frame = None if many else registry.list_grids(
        session, theme=theme, community_code=community_code, bbox=bbox)
    communities = regions.list_regions(session, level="community", bbox=bbox)
    if community_code is not None:
        communities = communities[communities["code"] == community_code]
    facility_frame = facilities.list_facilities(session, community_code=community_code,
                                                bbox=bbox)
    bounds = registry.map_extent(session, theme=theme, community_code=community_code)
    embed, _ = _building_mode(session, caller, community_code=community_code, bbox=bounds,
                              embed_max=-1 if grids_tiled else building_embed_max,
                              tiles=False)
    building_frame = (buildings.list_buildings(session, community_code=community_code,
                                               bbox=bbox or bounds) if embed else None)
    frames: dict[str, tuple[gpd.GeoDataFrame | None, Callable[[gpd.GeoDataFrame], Any]]] = {
              "grids": (None if grids_tiled else grid_frame, grid_layers.grid_layer),
              "water": (water.list_water_areas(session, bbox=bbox or bounds),
                        water_layers.water_layer),
              "communities": (communities, region_layers.community_layer),
              "buildings": (building_frame, partial(building_layers.building_layer,
                                                    caller=caller)),
              "grid_labels": (grid_frame, grid_layers.grid_label_layer),
              "facilities": (facility_frame, facility_layers.facility_layer)}
    answer = deferred.answer({key: build(frame) if frame is not None and not frame.empty
                              else None for key, (frame, build) in frames.items()},
                             basemap_url=basemap_url)
    left_out = (["grids"] if many and shifted else []) + (["grid_labels"] if many else [])
    return {**answer, "left_out": left_out}


def _grids_tiled(session: Session, *, theme: str, community_code: str | None,
                 embed_max: int) -> bool:
    """Whether the page draws its grids from the vector tiles: more than ``embed_max`` current
    grids of ``theme`` (of ``community_code``) and Leaflet.VectorGrid installed. The buildings
    then come as tiles too (embed_max -1): the grid tiles' pane lies above embedded layers."""
    return assets.has_vectorgrid() and registry.count_grids(
        session, theme=theme, community_code=community_code, at_most=embed_max) > embed_max


def _building_mode(session: Session, caller: Caller, *, community_code: str | None,
                   bbox: page.Bounds | None, embed_max: int, tiles: bool = True,
                   ) -> tuple[bool, MacroElement | None]:
    """``(True, None)`` when the buildings in ``bbox`` (EPSG:4490) are at most ``embed_max``
    (embedded with the other layers); else ``(False, tile layer)`` (footprints only for
    anonymous callers, as embedded), or ``(False, a note)`` when VectorGrid is missing."""
    matched = buildings.count_buildings(session, community_code=community_code, bbox=bbox,
                                        at_most=embed_max)
    if matched <= embed_max:
        return True, None
    if not tiles:
        return False, None
    if not assets.has_vectorgrid():
        return False, page.Panel(TILES_MISSING, position="bottomleft", css_class="gm-panel")
    return False, building_layers.building_tile_layer(details=not caller.is_anonymous)

