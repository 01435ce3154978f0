"""The QA map: topology problems in their check's colour and grids out of their household
range outlined, each with a popup, and the list of those grids."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd

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


RANGE_COLORS = {"oversized": "#b2182b", "undersized": "#2166ac"}
RANGE_LABELS = {"oversized": "户数超过上限的网格", "undersized": "户数低于下限的网格"}


def out_of_range_layer(grids: gpd.GeoDataFrame, load: pd.DataFrame) -> folium.GeoJson | None:
    """Grids (EPSG:4490) breaking their household range (``load``: gis.grids.grid_load),
    outlined thick, with households and reason; None when every grid is in range."""
    bad = load[load["status"].isin(list(RANGE_COLORS))][["code", "status", "reason"]]
    frame = grids[["code", "households", grids.geometry.name]].merge(bad, on="code")
    if frame.empty:
        return None
    frame["label"] = frame["status"].map(RANGE_LABELS)
    frame["color"] = frame["status"].map(RANGE_COLORS)
    frame["popup"] = page.popup_html(frame, (
        Attribute("code", "网格"), Attribute("households", "户数", "户"),
        Attribute("reason", "原因")), title_field="label")
    return folium.GeoJson(page.feature_collection(frame, ["code", "color", "popup"]),
                          name="户数超出范围", popup=page.popup(), style_function=lambda f: {
                              "color": f["properties"]["color"], "weight": 4,
                              "fillOpacity": 0.1, "fillColor": f["properties"]["color"]})


def out_of_range_html(load: pd.DataFrame) -> str:
    """The list of grids out of their household range: code, households, reason."""
    bad = load[load["status"].isin(list(RANGE_COLORS))]
    rows = "".join(f"<tr><td>{html.escape(str(c))}</td><td>{int(n)}</td>"
                   f"<td>{html.escape(str(r).split(' (')[0])}</td></tr>"
                   for c, n, r in zip(bad["code"], bad["households"], bad["reason"],
                                      strict=True))
    body = (f"<table class='gm-table'><tr><th>网格</th><th>户数</th><th>原因</th></tr>{rows}"
            "</table>") if rows else "<p>无</p>"
    return (f"<details open><summary><b>户数超出范围的网格（{len(bad)}）</b></summary>"
            f"<div style='max-height:35vh;overflow:auto'>{body}</div></details>")


def qa_page(issues: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, *, title: str,
            labels: dict[str, str], load: pd.DataFrame | None = None) -> folium.Map:
    """The QA map (not yet rendered): the grids as outlines, grids out of their household
    range (``load``) outlined thick, the topology problems, a legend and the list."""
    fmap = page.base_map(page.frame_bounds(grids, issues), title=title)
    if not grids.empty:
        outline = page.feature_collection(grids, ["code"])
        folium.GeoJson(outline, name="网格", style_function=lambda _: {
            "color": "#555555", "weight": 1, "fillOpacity": 0.05}).add_to(fmap)
    ranged = out_of_range_layer(grids, load) if load is not None and not grids.empty else None
    if ranged is not None:
        ranged.add_to(fmap)
    qa_layer(issues).add_to(fmap)
    shown = {c: labels[c] for c in COLORS if c in set(issues["check"])} if not issues.empty \
        else {}
    legend = page.legend_html("户数范围", [LegendEntry(RANGE_LABELS[k], RANGE_COLORS[k], "line")
                                          for k in RANGE_COLORS])
    legend += page.legend_html("拓扑问题", qa_legend(shown))
    if load is not None:
        legend += out_of_range_html(load)
    fmap.add_child(page.Panel(legend, css_class="gm-panel gm-legend"))
    folium.LayerControl().add_to(fmap)
    return fmap
