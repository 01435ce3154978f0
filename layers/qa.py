"""The topology-QA map layer: each problem drawn in its check's colour, with a popup."""

from __future__ import annotations

import folium
import geopandas as gpd

from layers import page
from layers.catalogue import Attribute, LegendEntry

COLORS = {
    "overlap": "#d7191c", "overlap_sliver": "#fdae61", "gap": "#2c7bb6",
    "gap_sliver": "#abd9e9", "crosses_community": "#7b3294",
    "building_cut": "#e66101", "building_outside": "#000000",
}
ATTRIBUTES = (
    Attribute("label", "问题"), Attribute("theme", "图层"), Attribute("community_code", "社区"),
    Attribute("grids", "网格"), Attribute("building_code", "建筑"),
    Attribute("area_m2", "面积", "m²"),
)


def qa_legend(labels: dict[str, str]) -> list[LegendEntry]:
    """Legend rows for the checks in ``labels`` (check -> label)."""
    return [LegendEntry(label, COLORS[check]) for check, label in labels.items()]


def qa_layer(issues: gpd.GeoDataFrame, *, name: str = "拓扑检查 QA") -> folium.FeatureGroup:
    """A feature group of QA problems (EPSG:4490) coloured by check, popups per problem."""
    group = folium.FeatureGroup(name=name, show=True)
    if issues.empty:
        return group
    frame = issues.copy()
    frame["grids"] = frame["grid_codes"].map(lambda codes: "、".join(codes or []))
    frame["popup"] = page.popup_html(frame, ATTRIBUTES, title_field="label")
    frame["color"] = frame["check"].map(COLORS)
    data = page.feature_collection(frame, ["check", "color", "popup"])
    folium.GeoJson(
        data, name=name,
        style_function=lambda f: {"color": f["properties"]["color"], "weight": 2,
                                  "fillColor": f["properties"]["color"], "fillOpacity": 0.5},
        popup=page.popup(),
    ).add_to(group)
    return group


def qa_page(issues: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, *, title: str,
            labels: dict[str, str]) -> str:
    """A whole offline page: the grids as outlines under the QA problems, with a legend."""
    fmap = page.base_map(page.frame_bounds(grids, issues), title=title)
    if not grids.empty:
        outline = page.feature_collection(grids, ["code"])
        folium.GeoJson(outline, name="网格", style_function=lambda _: {
            "color": "#555555", "weight": 1, "fillOpacity": 0.05}).add_to(fmap)
    qa_layer(issues).add_to(fmap)
    shown = {c: labels[c] for c in COLORS if c in set(issues["check"])} if not issues.empty \
        else {}
    fmap.add_child(page.Panel(page.legend_html("拓扑问题", qa_legend(shown)),
                              css_class="gm-panel gm-legend"))
    folium.LayerControl().add_to(fmap)
    return page.render(fmap)
