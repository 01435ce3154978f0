"""Service-circle map (``/map/coverage``): walking circles, facilities, buildings coloured
covered/uncovered, proposed new sites and a legend with the coverage rate.

The page's HTML holds the shell, the legend and empty layers; the layers and the legend's
figures come after load from ``/map/layers/coverage``. Up to ``map_embed_max`` buildings come
with them; above it only the uncovered and off-network ones do (the page's question), over
every footprint from the building tiles.

All geometry comes from gis/ in EPSG:4490 and is drawn as lon/lat.
"""

from __future__ import annotations

import html
from functools import partial
from typing import Any
from urllib.parse import urlencode

import folium
import geopandas as gpd
import pandas as pd
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from gis.grids import registry
from gis.network import circles, coverage, siting
from gis.places import buildings, facilities, water
from layers import assets, basemaps, catalogue, deferred, page, shell
from layers import buildings as building_layers
from layers import facilities as facility_layers
from layers import water as water_layers
from layers.catalogue import Attribute, LegendEntry

COVERED, UNCOVERED, OFF_NETWORK, SITE = "#43a047", "#e53935", "#9e9e9e", "#ff6f00"
CIRCLE_ATTRS = (Attribute("name", "设施"), Attribute("minutes", "步行时间", "分钟"),
                Attribute("speed_m_per_min", "步速", "米/分钟"),
                Attribute("distance_m", "步行距离", "米"),
                Attribute("snap_distance_m", "入口至路网", "米"),
                Attribute("area_ha", "覆盖面积", "公顷"))
BUILDING_ATTRS = (Attribute("households", "户数", "户"), Attribute("residents", "人口", "人"),
                  Attribute("distance_m", "步行至最近设施", "米"),
                  Attribute("status", "覆盖情况"))
SITE_ATTRS = (Attribute("rank", "建议顺序"), Attribute("households_gained", "新增覆盖户数", "户"),
              Attribute("residents_gained", "新增覆盖人口", "人"),
              Attribute("rate_after", "选址后覆盖率"))
TILE_STYLE = {"color": COVERED, "weight": 1, "fillColor": COVERED, "fillOpacity": 0.35}
"""Every footprint under the embedded uncovered ones: the rest are covered."""
REST_LABEL = "已覆盖（其余建筑）"
UNCOVERED_PANE = "gm-coverage-uncovered"
SITE_LABEL = "建议新增设施点"
LAYERS_URL = "/map/layers/coverage"
LEGEND_ID = "gm-coverage-legend"
"""The legend's element whose figures (rate, households) arrive with the layers."""


def circle_layer(frame: gpd.GeoDataFrame) -> folium.GeoJson:
    """Circles (columns of gis.network.circles.list_service_circles) as translucent polygons."""
    layer = catalogue.get_layer("circles")
    data = frame.assign(area_ha=(frame["area_m2"] / 10_000).round(2))
    data["popup"] = page.popup_html(data, CIRCLE_ATTRS, title_field="name")
    return folium.GeoJson(page.feature_collection(data, ["popup"]),
                          name=f"{frame['minutes'].iloc[0]:g} 分钟步行服务圈",
                          style_function=lambda _: dict(layer.style), popup=page.popup())


def coverage_building_layer(frame: gpd.GeoDataFrame, caller: Caller,
                            pane: str | None = None) -> folium.GeoJson:
    """Buildings (gis.network.coverage.coverage_frame) green when covered, red when not, grey when
    off the network; households and distance only for key holders in their jurisdiction.
    ``pane``: a Leaflet pane to draw in (above the footprint tiles' pane)."""
    status = pd.Series("未覆盖", index=frame.index).mask(frame["covered"], "已覆盖") \
        .mask(frame["off_network"], "距路网超过 200 米")
    colour = pd.Series(UNCOVERED, index=frame.index).mask(frame["covered"], COVERED) \
        .mask(frame["off_network"], OFF_NETWORK)
    data = frame.assign(status=status, colour=colour, distance_m=frame["distance_m"].round(0))
    detail = page.popup_html(data, BUILDING_ATTRS, title_field="address")
    public = '<div class="gm-popup">' + status + "（详情需授权查看）</div>"
    data["popup"] = detail.where(building_layers.covered(frame, caller), public)
    return folium.GeoJson(
        page.feature_collection(data, ["popup", "colour"]), name="建筑覆盖情况",
        style_function=lambda f: {"color": f["properties"]["colour"], "weight": 1,
                                  "fillColor": f["properties"]["colour"], "fillOpacity": 0.7},
        popup=page.popup(), pane=pane)


def site_layer(picks: list[dict]) -> folium.GeoJson:
    """Proposed new sites (gis.network.siting.list_sites picks, lon/lat) as numbered orange
    badges with their gains."""
    frame = pd.DataFrame(picks)
    frame["rate_after"] = (frame["rate_after"] * 100).round(1).astype(str) + "%"
    points = gpd.GeoDataFrame({"rank": frame["rank"], "popup": page.popup_html(frame, SITE_ATTRS)},
                              geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4490)
    icon = folium.DivIcon(icon_size=(24, 24), icon_anchor=(12, 12), class_name="gm-divicon")
    return folium.GeoJson(page.feature_collection(points, ["rank", "popup"]),
                          name=SITE_LABEL, marker=folium.Marker(icon=icon),
                          style_function=lambda f: {"html": page.icon_html(
                              str(f["properties"]["rank"]), SITE)},
                          popup=page.popup())


def embedded_buildings(frame: gpd.GeoDataFrame, embed_max: int,
                       ) -> tuple[gpd.GeoDataFrame, int]:
    """The buildings of a coverage_frame to embed and how many uncovered ones are left out.

    All of them up to ``embed_max``; else the uncovered and off-network ones (covered is
    False for both), and of those, when still too many, the ``embed_max`` with the most
    households (then lowest id).
    """
    if len(frame) <= embed_max:
        return frame, 0
    rest = frame[~frame["covered"]]
    if len(rest) <= embed_max:
        return rest, 0
    top = rest.sort_values(["households", "id"], ascending=[False, True]).head(embed_max)
    return top, len(rest) - len(top)


def legend(type_label: str, minutes: float, summary: dict, gained: int | None, *,
           tiled: bool = False, left_out: int = 0) -> str:
    """The legend: the coverage rate (% of households) and the colours used; ``tiled``:
    covered buildings are the tile footprints, ``left_out`` uncovered ones not drawn."""
    rate = summary.get("rate")
    rate_text = "—" if rate is None else f"{rate * 100:.1f}%"
    head = (f'<div class="gm-legend-row"><b>户覆盖率 {rate_text}</b></div>'
            f'<div class="gm-legend-row">已覆盖 {summary.get("covered_households", 0)} / '
            f'{summary.get("households", 0)} 户</div>')
    if gained:
        head += f'<div class="gm-legend-row">建议新增点可再覆盖 {gained} 户</div>'
    if left_out:
        head += f'<div class="gm-legend-row">另有 {left_out} 栋未覆盖建筑未显示</div>'
    return _legend_frame(type_label, minutes, head, tiled=tiled)


def _legend_frame(type_label: str, minutes: float, figures: str, *, tiled: bool) -> str:
    entries = (LegendEntry("步行服务圈", "#a5d6a7"),
               LegendEntry(REST_LABEL if tiled else "已覆盖建筑", COVERED),
               LegendEntry("未覆盖建筑", UNCOVERED), LegendEntry("距路网过远", OFF_NETWORK),
               LegendEntry("建议新增设施点", SITE, "icon", "新"))
    return (f"<h3>{html.escape(type_label)} · {minutes:g} 分钟步行</h3>{figures}"
            + page.legend_html("图例", entries))


def render_coverage(session: Session, caller: Caller, *, type: str = "party_center",
                    minutes: float = circles.DEFAULT_MINUTES, speed: float = circles.DEFAULT_SPEED,
                    k: int = 3, basemap_url: str | None = None,
                    building_embed_max: int = building_layers.EMBED_MAX) -> str:
    """The coverage page's HTML (offline-ready): the shell, a legend waiting for its figures
    and empty layers that ``/map/layers/coverage`` (``coverage_layers``) fills after load.

    Above ``building_embed_max`` buildings every footprint comes from the vector tiles and
    only the uncovered ones with the layers (see ``embedded_buildings``)."""
    label = catalogue.FACILITY_TYPES.get(type, (type,))[0]
    bounds = registry.map_extent(session)
    fmap = page.base_map(bounds, title=f"{label} {minutes:g} 分钟生活服务圈覆盖图",
                         basemap_url=basemap_url)
    # /tiles are CGCS2000: under a GCJ-02 image (高德) they would sit ~500 m off, so the
    # covered buildings beyond the limit are not drawn there (the uncovered ones still are)
    tiles = (None if basemaps.draws_in_gcj02(basemap_url)
             else _tiles(fmap, session, caller, building_embed_max))
    pane = {"pane": UNCOVERED_PANE} if tiles is not None else {}
    layers = [deferred.DeferredLayer("water", name=catalogue.get_layer("water").label,
                                     spec={"options": {"interactive": False}}),
              deferred.DeferredLayer("circles", name=f"{minutes:g} 分钟步行服务圈",
                                     spec=deferred.POPUP),
              deferred.DeferredLayer("buildings", name="建筑覆盖情况",
                                     spec={**deferred.POPUP, "options": pane}),
              deferred.DeferredLayer("facilities", name=catalogue.get_layer("facilities").label,
                                     spec=facility_layers.DEFERRED_SPEC)]
    if k:
        layers.append(deferred.DeferredLayer("sites", name=SITE_LABEL, spec={
            **facility_layers.DEFERRED_SPEC}))
    query = urlencode({"type": type, "minutes": f"{minutes:g}", "speed": f"{speed:g}", "k": k})
    deferred.add_deferred(fmap, f"{LAYERS_URL}?{query}", layers, fit=bounds is None)
    if tiles is not None:
        tiles.add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    waiting = '<div class="gm-legend-row"><b>户覆盖率 计算中…</b></div>'
    fmap.add_child(page.Panel(f'<div id="{LEGEND_ID}">'
                              f"{_legend_frame(label, minutes, waiting, tiled=tiles is not None)}"
                              "</div>", css_class="gm-panel gm-legend"))
    shell.add_shell(fmap, caller, active="/map/coverage")
    return page.render(fmap)


def coverage_layers(session: Session, caller: Caller, *, type: str = "party_center",
                    minutes: float = circles.DEFAULT_MINUTES,
                    speed: float = circles.DEFAULT_SPEED, k: int = 3,
                    building_embed_max: int = building_layers.EMBED_MAX,
                    basemap_url: str | None = None) -> dict[str, Any]:
    """The coverage page's layers (``deferred.answer``, lon/lat) and its legend's figures:
    circles, facilities, buildings covered/uncovered, new sites; the rates from every
    building, the buildings embedded as ``embedded_buildings`` picks them."""
    blds = coverage.coverage_frame(session, type=type, minutes=minutes, speed=speed)
    rings = circles.list_service_circles(session, type=type, minutes=minutes, speed=speed)
    facs = facilities.list_facilities(session, type=type)
    picks = siting.list_sites(session, type=type, k=k, minutes=minutes, speed=speed,
                             frame=blds)["sites"] if k else []
    water_frame = water.list_water_areas(session, bbox=page.frame_bounds(blds, rings, facs))
    tiled = len(blds) > building_embed_max and assets.has_vectorgrid()
    shown, left_out = embedded_buildings(blds, building_embed_max) if tiled else (blds, 0)
    label = catalogue.FACILITY_TYPES.get(type, (type,))[0]
    figures = legend(label, minutes, coverage.summary_of(blds),
                     sum(p["households_gained"] for p in picks),
                     tiled=tiled and not basemaps.draws_in_gcj02(basemap_url),  # as the page
                     left_out=left_out)
    built = {key: build(frame) if not frame.empty else None for key, frame, build in (
        ("water", water_frame, water_layers.water_layer), ("circles", rings, circle_layer),
        ("buildings", shown, partial(coverage_building_layer, caller=caller)),
        ("facilities", facs, facility_layers.facility_layer))}
    built["sites"] = site_layer(picks) if picks else None
    return deferred.answer(built, {LEGEND_ID: figures}, basemap_url=basemap_url)


def _tiles(fmap: folium.Map, session: Session, caller: Caller, embed_max: int,
           ) -> building_layers.BuildingTiles | None:
    """The footprint tile layer when there are more than ``embed_max`` buildings (and
    VectorGrid is installed), with a pane for the uncovered ones above the tiles' (450), so
    the red and grey ones stay visible and take the clicks; else None (all embedded)."""
    matched = buildings.count_buildings(session, at_most=embed_max)
    if matched <= embed_max or not assets.has_vectorgrid():
        return None
    folium.map.CustomPane(UNCOVERED_PANE, z_index=460).add_to(fmap)
    return building_layers.building_tile_layer(details=not caller.is_anonymous,
                                                style=TILE_STYLE, name=REST_LABEL)
