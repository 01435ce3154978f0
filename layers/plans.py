"""The plan review page: current and proposed grids side by side on two synced maps, moved
buildings highlighted on both, metrics before/after and the crosswalk table.

folium's DualMap loads Leaflet.Sync from a CDN, which an intranet cannot reach, so the two
maps live in one figure and a dozen lines of JavaScript (``SyncViews``) keep them aligned.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from layers import assets, page, plan_edit
from layers.catalogue import HOUSEHOLD_CLASSES, Attribute, LegendEntry, household_class

FLAG_COLOR = "#d7191c"
MOVED_COLOR = "#e7298a"
FLAG_LABELS = {"oversized": "户数超过上限", "undersized": "户数低于下限",
               "noncontiguous": "不连片：网格被分成几块"}
"""Chinese labels of gis.plans' flags (plan_grid.flag); an unknown flag shows as itself."""
DASHED_FLAGS = ("noncontiguous",)
"""Flags drawn with a dashed red outline (the others: a solid one)."""
FLAG_LEGEND = (LegendEntry("红色实线框：户数超出范围 (oversized / undersized)", FLAG_COLOR),
               LegendEntry("红色虚线框：不连片，网格被分成几块 (noncontiguous)", FLAG_COLOR,
                           "line"))
GRID_ATTRS = (Attribute("code", "网格编码"), Attribute("households", "户数", "户"),
              Attribute("residents", "人口", "人"), Attribute("buildings", "建筑", "栋"),
              Attribute("compactness", "紧凑度 (Polsby-Popper)"),
              Attribute("flag_label", "提示"))


def flag_label(flags: pd.Series) -> pd.Series:
    """``不连片：网格被分成几块 (noncontiguous)`` for each flag (NA stays NA)."""
    # only the flagged rows are joined: with pyarrow strings an all-NA column cannot be added
    out = pd.Series(None, index=flags.index, dtype=object)
    named = flags.notna().to_numpy(dtype=bool)
    text = flags[named].astype(str)
    out[named] = text.map(FLAG_LABELS).fillna(text) + " (" + text + ")"
    return out


class SyncViews(MacroElement):
    """Keeps two Leaflet maps on the same centre and zoom."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (a, b) {
            var busy = false;
            function follow(src, dst) {
                src.on('move', function () {
                    if (busy) { return; }
                    busy = true;
                    dst.setView(src.getCenter(), src.getZoom(), {animate: false});
                    busy = false;
                });
            }
            follow(a, b); follow(b, a);
            b.setView(a.getCenter(), a.getZoom(), {animate: false});
        })({{ this.left }}, {{ this.right }});
        {% endmacro %}
    """)

    def __init__(self, left: folium.Map, right: folium.Map) -> None:
        super().__init__()
        self._name = "SyncViews"
        self.left, self.right = left.get_name(), right.get_name()


def grid_layer(grids: gpd.GeoDataFrame, *, name: str, label: str = "code") -> folium.GeoJson:
    """Grids (EPSG:4490) filled by household class, flagged ones outlined in red."""
    frame = grids.copy()
    if label not in frame.columns:
        frame[label] = ""
    colors = np.array([c.color for c in HOUSEHOLD_CLASSES], dtype=object)
    frame["fill"] = colors[household_class(frame["households"])]
    flags = frame["flag"].astype(object) if "flag" in frame else pd.Series(
        None, index=frame.index, dtype=object)
    frame["line"] = np.where(flags.notna(), FLAG_COLOR, "#333333")
    frame["dash"] = np.where(flags.isin(DASHED_FLAGS), "6 4", "")
    frame["flag_label"] = flag_label(flags)
    frame["popup"] = page.popup_html(frame, GRID_ATTRS, title_field=label)
    seq = ["seq"] if "seq" in frame else []  # the review map's editor reads a grid's number
    data = page.feature_collection(frame, [label, "fill", "line", "dash", "popup", *seq])
    return folium.GeoJson(data, name=name, popup=page.popup(), style_function=lambda f: {
        "fillColor": f["properties"]["fill"], "fillOpacity": 0.55, "weight": 2,
        "color": f["properties"]["line"], "dashArray": f["properties"]["dash"] or None})


def moved_layer(moved: gpd.GeoDataFrame) -> folium.GeoJson:
    """Buildings the plan moves to another grid, in magenta."""
    data = page.feature_collection(moved.assign(popup=page.popup_html(
        moved, (Attribute("code", "建筑编码"), Attribute("households", "户数", "户")))),
        ["code", "popup"])
    return folium.GeoJson(data, name="调整的建筑 moved buildings", popup=page.popup(),
                          style_function=lambda _: {"color": MOVED_COLOR, "weight": 2,
                                                    "fillColor": MOVED_COLOR,
                                                    "fillOpacity": 0.8})


def metrics_html(report: dict) -> str:
    """Before/after table of the plan's metrics, then the counts of what moves."""
    m = report["metrics"]
    rows = [("网格数 grids", "grids"), ("范围内 in range", "in_range"),
            ("范围内比例 share", "share_in_range"), ("最少户数 min", "min_households"),
            ("最多户数 max", "max_households"), ("平均户数 mean", "mean_households"),
            ("平均紧凑度 mean PP", "mean_compactness")]
    body = "".join(f"<tr><th>{html.escape(label)}</th><td>{m['before'][key]}</td>"
                   f"<td>{m['after'][key]}</td></tr>" for label, key in rows)
    moves = "".join(f"<li>{html.escape(label)}: {m.get(key, 0)}</li>" for label, key in (
        ("调整建筑 buildings moved", "buildings_moved"),
        ("调整居民 residents reassigned", "residents_reassigned"),
        ("转派事件 open events reassigned", "events_reassigned")))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in m.get("notes", []))
    notes += "".join(f"<li>#{f['seq']} {html.escape(FLAG_LABELS.get(f.get('flag'), ''))}: "
                     f"{html.escape(f['reason'])}</li>" for f in m.get("flags", []))
    return (f"<details open><summary><b>方案 {report['id']} ({html.escape(report['kind'])}, "
            f"{html.escape(report['status'])})</b></summary><table class='gm-table'><tr><th>"
            f"</th><th>现状 before</th><th>方案 after</th></tr>{body}</table><ul>{moves}</ul>"
            f"<ul>{notes}</ul></details>")


def crosswalk_html(crosswalk: list[dict]) -> str:
    """The crosswalk: old grid → proposed grid (seq), households, share."""
    frame = pd.DataFrame(crosswalk)
    if frame.empty:
        return "<p>无 (empty crosswalk)</p>"
    frame = frame[["old_theme", "old_code", "new_seq", "households", "share"]]
    frame.columns = ["图层", "原网格", "新网格#", "户数", "比例"]
    return frame.to_html(index=False, classes="gm-table", border=0)


def _add_editor(right: folium.Map, proposed_layer: folium.GeoJson, review: dict) -> None:
    """Drawing tools on a draft's proposed map; a note instead when Leaflet.draw is missing."""
    if review["report"]["status"] != "draft":
        return
    if not assets.has_leaflet_draw():
        right.add_child(page.Panel("绘图工具未安装，无法在地图上调整 (Leaflet.draw missing: run "
                                   "make install)", position="topright", css_class="gm-panel"))
        return
    plan_edit.add_editor(right, proposed_layer, review["buildings"], review["report"]["id"],
                         review["report"]["version"])


def review_page(review: dict) -> str:
    """The whole review page for ``gis.plans.plan_review(...)`` (one HTML string, offline)."""
    current, proposed = review["current"], review["proposed"]
    bounds = page.frame_bounds(current, proposed)
    left = page.base_map(bounds, title=f"网格调整方案 {review['report']['id']}：现状 | 方案")
    left.width, left.left = (50.0, "%"), (0.0, "%")
    right = folium.Map(location=left.location, zoom_start=13, tiles=None, width="50%",
                       left="50%", position="absolute", control_scale=True, max_zoom=20)
    left.get_root().add_child(right)
    if bounds is not None:
        right.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    unified = current[current["theme"] == "unified"]
    grid_layer(unified, name="现状统一网格 current").add_to(left)
    for theme, layer in current[current["theme"] != "unified"].groupby("theme"):
        grid_layer(layer, name=f"专题网格 {theme}").add_to(left)
    proposed_layer = grid_layer(proposed.assign(code=proposed["source_grid_code"].fillna(
        "新#" + proposed["seq"].astype(str))), name="方案网格 proposed")
    proposed_layer.add_to(right)
    if not review["moved"].empty:
        moved_layer(review["moved"]).add_to(left)
        moved_layer(review["moved"]).add_to(right)
    right.add_child(SyncViews(left, right))
    _add_editor(right, proposed_layer, review)
    legend = (page.legend_html("户数 households", HOUSEHOLD_CLASSES)
              + page.legend_html("提示 flags (方案网格边框)", FLAG_LEGEND))
    right.add_child(page.Panel(metrics_html(review["report"]), position="topright",
                               css_class="gm-panel gm-legend"))
    left.add_child(page.Panel(legend, position="bottomleft", css_class="gm-panel gm-legend"))
    right.add_child(page.Panel("<details><summary><b>对照表 crosswalk</b></summary><div "
                               "style='max-height:40vh;overflow:auto'>"
                               + crosswalk_html(review["report"]["crosswalk"]) + "</div>"
                               "</details>", position="bottomright", css_class="gm-panel"))
    folium.LayerControl(collapsed=False).add_to(left)
    return page.render(left)
