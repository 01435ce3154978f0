"""A plan's review on the workbench (layers/workbench.py): current and proposed grids side by
side on two synced maps, numbered, coloured by the plan's own household range, moved
buildings highlighted on both; the metrics before/after and the crosswalk as HTML.

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
from folium.utilities import JsCode
from jinja2 import Template

from gis.grids.grid_load import check_load
from gis.grids.household_rules import LoadRules
from gis.plans.listing import KIND_LABELS, STATUS_LABELS
from layers import assets, page, plan_edit, shell
from layers.catalogue import NOT_JUDGED, Attribute, LegendEntry
from layers.grids import THEME_LABELS

FLAG_COLOR = "#d7191c"
MOVED_COLOR = "#e7298a"
FLAG_LABELS = {"oversized": "户数超过上限", "undersized": "户数低于下限",
               "noncontiguous": "不连片：网格被分成几块"}
"""Chinese labels of gis.plans' flags (plan_grid.flag); an unknown flag shows as itself."""
DASHED_FLAGS = ("noncontiguous",)
"""Flags drawn with a dashed red outline (the others: a solid one)."""
FLAG_LEGEND = (LegendEntry("红色实线框：户数超出范围", FLAG_COLOR),
               LegendEntry("红色虚线框：不连片，网格被分成几块", FLAG_COLOR, "line"),
               LegendEntry("品红：改变网格的建筑", MOVED_COLOR))
GRID_ATTRS = (Attribute("code", "网格编码"), Attribute("households", "户数", "户"),
              Attribute("residents", "人口", "人"), Attribute("buildings", "建筑", "栋"),
              Attribute("compactness", "紧凑度 (Polsby-Popper)"),
              Attribute("worker", "网格员"), Attribute("flag_label", "提示"))


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


def load_classes(rules: LoadRules) -> tuple[LegendEntry, ...]:
    """Legend of the plan maps' fill: the plan's own household range, exempt kinds apart."""
    lo, hi = rules.residential_min, rules.residential_max
    return (LegendEntry(f"低于下限（少于 {lo} 户）", "#6baed6"),
            LegendEntry(f"范围内（{lo}–{hi} 户；农村 {rules.rural_min}–{rules.rural_max} 户）",
                        "#fec44f"),
            LegendEntry(f"超过上限（多于 {hi} 户）", "#e6550d"), NOT_JUDGED, RETIRED)


RETIRED = LegendEntry("已撤销的原网格（方案已应用）", "#9e9e9e")
STATUS_CLASS = {"undersized": 0, "ok": 1, "oversized": 2, "exempt": 3, "retired": 4}
"""gis.grids.grid_load statuses -> index into load_classes(...)."""


def grid_layer(grids: gpd.GeoDataFrame, *, name: str, label: str = "code",
               rules: LoadRules | None = None) -> folium.GeoJson:
    """Grids (EPSG:4490) filled by their state under ``rules`` (default: the built-in ones;
    exempt kinds and thematic grids light grey, retired ones dark grey), flagged ones
    outlined in red."""
    rules = rules or LoadRules()
    frame = grids.copy()
    if label not in frame.columns:
        frame[label] = ""
    if "kind" not in frame.columns:
        frame["kind"] = "residential"
    checked = check_load(frame[["kind", "households"]].fillna({"households": 0}), rules=rules)
    themes = frame["theme"] if "theme" in frame else pd.Series("unified", index=frame.index)
    status = checked["status"].where(themes == "unified", "exempt")
    if "current" in frame:  # a grid an applied plan retired: its households have moved on
        status = status.where(frame["current"].astype(bool), "retired")
    colors = np.array([c.color for c in load_classes(rules)], dtype=object)
    frame["fill"] = colors[status.map(STATUS_CLASS).to_numpy(dtype=int)]
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


def short_code(codes: pd.Series) -> pd.Series:
    """The last 3 digits of grid codes (a grid's number within its community) for map labels;
    popups and lists keep the whole code."""
    return codes.astype(str).str[-3:]


def number_layer(grids: gpd.GeoDataFrame, labels: pd.Series, *, name: str,
                 css_class: str = "gm-grid-number") -> folium.GeoJson:
    """Each grid's number (``labels``) written at a point inside it (EPSG:4490), styled by
    ``css_class`` (the printed plan report uses its own bigger labels)."""
    points = gpd.GeoDataFrame({"label": page.escaped(labels.astype(str))},
                              geometry=grids.geometry.representative_point(), crs=grids.crs)
    bind = JsCode("function (feature, layer) { layer.bindTooltip(feature.properties.label, "
                  "{permanent: true, direction: 'center', className: '" + css_class + "'}); }")
    return folium.GeoJson(page.feature_collection(points, ["label"]), name=name,
                          marker=folium.CircleMarker(radius=0, weight=0, fill=False,
                                                     interactive=False),
                          on_each_feature=bind)


def moved_layer(moved: gpd.GeoDataFrame) -> folium.GeoJson:
    """Buildings the plan moves to another grid, in magenta."""
    data = page.feature_collection(moved.assign(popup=page.popup_html(
        moved, (Attribute("code", "建筑编码"), Attribute("households", "户数", "户")))),
        ["code", "popup"])
    return folium.GeoJson(data, name="改变网格的建筑", popup=page.popup(),
                          style_function=lambda _: {"color": MOVED_COLOR, "weight": 2,
                                                    "fillColor": MOVED_COLOR,
                                                    "fillOpacity": 0.8})


def percent(value: object) -> str:
    """A share (0–1) as ``45.2%``; anything else as it is, blank as "—"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{float(value) * 100:.1f}%" if isinstance(value, int | float) else str(value)


METRIC_ROWS = (("网格数", "grids"), ("户数在范围内的网格", "in_range"),
               ("范围内比例", "share_in_range"), ("最少户数", "min_households"),
               ("最多户数", "max_households"), ("平均户数", "mean_households"),
               ("平均紧凑度 (Polsby-Popper)", "mean_compactness"))
MOVE_ROWS = (("撤销（退役）网格", "grids_retired"), ("新建网格", "grids_new"),
             ("改变网格的建筑", "buildings_moved"), ("改变网格的户数", "households_reassigned"),
             ("改变网格的居民", "residents_reassigned"),
             ("改变网格的未结案事件", "events_reassigned"))
"""What applying a plan changes, as the plan report counts it (metrics of gis.plans)."""


def _cell(key: str, value: object) -> str:
    return html.escape(percent(value) if key == "share_in_range" else str(value))


def moves_html(metrics: dict) -> str:
    """The list of what applying changes (the plan report's counts); ids for the page."""
    return "".join(f"<li>{html.escape(label)}：<b data-metric='{key}'>{metrics.get(key, 0)}"
                   "</b></li>" for label, key in MOVE_ROWS)


def metrics_html(report: dict) -> str:
    """Before/after table of the plan's metrics, what applying moves, notes and flags."""
    m = report["metrics"]
    body = "".join(f"<tr><th>{html.escape(label)}</th><td>{_cell(key, m['before'].get(key))}"
                   f"</td><td>{_cell(key, m['after'].get(key))}</td></tr>"
                   for label, key in METRIC_ROWS)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in m.get("notes", []))
    notes += "".join(f"<li>#{f['seq']} {html.escape(FLAG_LABELS.get(f.get('flag'), ''))}: "
                     f"{html.escape(f['reason'])}</li>" for f in m.get("flags", []))
    status = STATUS_LABELS.get(report["status"], report["status"])
    kind = KIND_LABELS.get(report["kind"], report["kind"])
    return (f"<h4>方案 {report['id']}（{html.escape(kind)}，{html.escape(status)}）</h4>"
            f"<table class='gm-table'><tr><th></th><th>现状</th><th>方案</th></tr>{body}"
            f"</table><ul>{moves_html(m)}</ul><details><summary>提示 ({len(m.get('flags', []))})"
            f"</summary><ul>{notes}</ul></details>")


def crosswalk_html(crosswalk: list[dict]) -> str:
    """The crosswalk: old grid → proposed grid (#seq), households, share in per cent."""
    frame = pd.DataFrame(crosswalk)
    if frame.empty:
        return "<p>无（对照表为空）</p>"
    frame = frame[["old_theme", "old_code", "new_seq", "households", "share"]].copy()
    frame["old_theme"] = frame["old_theme"].map(THEME_LABELS).fillna(frame["old_theme"])
    frame["new_seq"] = "#" + frame["new_seq"].astype(str)
    frame["share"] = frame["share"].map(percent)
    frame.columns = ["图层", "原网格", "新网格", "户数", "比例"]
    return frame.to_html(index=False, classes="gm-table", border=0)


def _editor(right: folium.Map, proposed_layer: folium.GeoJson, review: dict) -> None:
    """Drawing tools on a draft's proposed map; a note instead when Leaflet.draw is missing."""
    if review["report"]["status"] != "draft":
        return
    if not assets.has_leaflet_draw():
        right.add_child(page.Panel("绘图工具未安装，无法在地图上调整（Leaflet.draw 缺失：请运行 "
                                   "make install）", position="topright", css_class="gm-panel"))
        return
    plan_edit.add_editor(right, proposed_layer, review["buildings"], review["report"]["id"],
                         review["report"]["version"])


def workers_by_seq(report: dict) -> dict[int, str]:
    """A draft's new grids (seq) and their proposed workers' names; "无网格员" for none."""
    grids = (report.get("staffing") or {}).get("grids") or []
    return {int(g["seq"]): "、".join(str(w.get("worker_name") or w.get("worker_code"))
                                     for w in g.get("workers") or []) or "无网格员"
            for g in grids}


def second_map(left: folium.Map) -> folium.Map:
    """A map beside ``left`` in the same page (right half), with a metric scale only."""
    right = folium.Map(location=left.location, zoom_start=13, tiles=None, width="50%",
                       left="50%", position="absolute", control_scale=False, max_zoom=20)
    right.add_child(page.ScaleBar())
    right.add_child(shell.AttributionPrefix(shell.ATTRIBUTION))
    left.width, left.left = (50.0, "%"), (0.0, "%")
    left.get_root().add_child(right)
    return right


def add_review(left: folium.Map, right: folium.Map, review: dict) -> None:
    """Current grids (and moved buildings) on ``left``, proposed ones with the editor on
    ``right`` (EPSG:4490); both numbered, kept on one view, with a legend of the plan's rules."""
    current, proposed = review["current"], review["proposed"]
    rules = LoadRules(**(review["report"].get("rules") or {}))
    bounds = page.frame_bounds(current, proposed)
    if bounds is not None:
        right.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    unified = current[current["theme"] == "unified"]
    grid_layer(unified, name="现状统一网格", rules=rules).add_to(left)
    for theme, layer in current[current["theme"] != "unified"].groupby("theme"):
        grid_layer(layer, name=f"专题网格 {THEME_LABELS.get(str(theme), theme)}",
                   rules=rules).add_to(left)
    proposed = proposed.assign(code=proposed["source_grid_code"].fillna(
        "新#" + proposed["seq"].astype(str)), worker=proposed["seq"].map(
        workers_by_seq(review["report"])))
    proposed_layer = grid_layer(proposed, name="方案网格", rules=rules)
    proposed_layer.add_to(right)
    if not review["moved"].empty:
        moved_layer(review["moved"]).add_to(left)
        moved_layer(review["moved"]).add_to(right)
    if not unified.empty:
        number_layer(unified, short_code(unified["code"]), name="现状网格编号").add_to(left)
    if not proposed.empty:
        number_layer(proposed, "#" + proposed["seq"].astype(str), name="方案网格编号").add_to(right)
    right.add_child(SyncViews(left, right))
    _editor(right, proposed_layer, review)
    legend = (page.legend_html("户数（本方案的范围）", load_classes(rules))
              + page.legend_html("提示（方案网格边框）", FLAG_LEGEND))
    left.add_child(page.Panel(f"<details><summary>图例</summary>{legend}</details>",
                              position="bottomleft", css_class="gm-panel gm-legend"))
