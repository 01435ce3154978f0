"""Plan review page builders: grid styling, metrics and crosswalk tables, synced maps."""

from __future__ import annotations

import json
import re

import geopandas as gpd
from shapely import MultiPolygon, box
from sqlalchemy.orm import Session

from gis import plans
from gis.access.callers import Caller
from gis.grids.household_rules import LoadRules
from layers import assets, catalogue, plan_edit, workbench, workbench_panel, workbench_staffing
from layers import plans as plan_layers
from tests.plan_cases import make_lattice


def _grids(flags: list[str | None]) -> gpd.GeoDataFrame:
    n = len(flags)
    return gpd.GeoDataFrame(
        {"code": [f"G{i}" for i in range(n)], "households": [250, 450, 900][:n],
         "residents": [1] * n, "buildings": [1] * n, "compactness": [0.5] * n, "flag": flags},
        geometry=[MultiPolygon([box(119.2 + i * 0.01, 34.6, 119.21 + i * 0.01, 34.61)])
                  for i in range(n)], crs=4490)


def test_flagged_grids_are_outlined_red() -> None:
    layer = plan_layers.grid_layer(_grids(["undersized", None, "oversized"]), name="x")
    lines = [f["properties"]["line"] for f in layer.data["features"]]
    assert lines == [plan_layers.FLAG_COLOR, "#333333", plan_layers.FLAG_COLOR]
    assert all(fill.startswith("#") for fill in (f["properties"]["fill"]
                                                 for f in layer.data["features"]))
    fills = {f["properties"]["fill"] for f in layer.data["features"]}
    assert len(fills) == 3  # three household classes


def test_noncontiguous_grids_get_a_dashed_outline_and_a_chinese_label() -> None:
    layer = plan_layers.grid_layer(_grids(["noncontiguous", None, "oversized"]), name="x")
    props = [f["properties"] for f in layer.data["features"]]
    assert [p["line"] for p in props] == [plan_layers.FLAG_COLOR, "#333333",
                                          plan_layers.FLAG_COLOR]
    assert [p["dash"] for p in props] == ["6 4", "", ""]
    assert "不连片" in props[0]["popup"] and "户数超过上限" in props[2]["popup"]
    side = dict.fromkeys(("grids", "in_range", "share_in_range", "min_households",
                          "max_households", "mean_households", "mean_compactness"), 0)
    out = plan_layers.metrics_html({"id": 1, "kind": "balance", "status": "draft", "metrics": {
        "before": side, "after": side, "flags": [{"seq": 4, "flag": "noncontiguous",
                                                  "reason": "网格被分成 2 片"}]}})
    assert "#4 不连片" in out and "网格被分成 2 片" in out


def test_metrics_and_crosswalk_tables() -> None:
    side = {"grids": 2, "in_range": 1, "share_in_range": 0.5, "min_households": 250,
            "max_households": 900, "mean_households": 575.0, "mean_compactness": 0.5}
    report = {"id": 7, "kind": "balance", "status": "draft",
              "metrics": {"before": side, "after": {**side, "in_range": 2, "share_in_range": 1},
                          "buildings_moved": 3, "notes": ["<b>"],
                          "flags": [{"seq": 1, "reason": "单栋建筑 900 户"}]}}
    out = plan_layers.metrics_html(report)
    assert "<td>1</td><td>2</td>" in out and "&lt;b&gt;" in out and "900" in out
    assert "<td>50.0%</td><td>100.0%</td>" in out  # shares as percentages
    assert "均衡调整" in out and "草稿" in out
    assert "改变网格的建筑：<b data-metric='buildings_moved'>3</b>" in out
    table = plan_layers.crosswalk_html([{"old_theme": "party", "old_code": "P1", "new_seq": 2,
                                         "households": 40, "share": 0.25}])
    assert "P1" in table and "25.0%" in table and "党建网格" in table and "#2" in table
    assert "无" in plan_layers.crosswalk_html([])


def test_exempt_thematic_and_retired_grids_are_not_judged_by_the_household_range() -> None:
    frame = _grids([None, None, None]).assign(
        households=[20, 20, 900], kind=["special", "residential", "residential"],
        theme=["unified", "party", "unified"], current=[True, True, False])
    fills = [f["properties"]["fill"] for f in plan_layers.grid_layer(frame, name="x")
             .data["features"]]
    assert fills == [catalogue.NOT_JUDGED.color, catalogue.NOT_JUDGED.color,
                     plan_layers.RETIRED.color]
    rules = LoadRules(residential_min=10, residential_max=30)
    small = plan_layers.grid_layer(_grids([None]).assign(households=[20]), name="x",
                                   rules=rules).data["features"][0]["properties"]["fill"]
    assert small == plan_layers.load_classes(rules)[1].color  # in range under the plan's rules
    assert "10–30 户" in plan_layers.load_classes(rules)[1].label


def _asset_urls(page_html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page_html)


def test_draft_plan_on_the_workbench_has_the_chinese_draw_editor(session: Session) -> None:
    assert assets.has_leaflet_draw(), "Leaflet.draw missing: npm install (see layers/assets.py)"
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    caller = Caller(role="planner", region_code=community, key_id=1)

    def render() -> str:
        return workbench.render_workbench(session, caller, scope_code=None, plan_id=plan.id,
                                          rules=LoadRules(), csrf="tok")
    out = render()
    assert "new L.Control.Draw(" in out and "gridmapPlanEditor(" in out
    # Chinese texts are in place before the toolbar is built
    assert out.index("L.drawLocal = ") < out.index("new L.Control.Draw(")
    assert json.dumps("画线：沿线拆分网格")[1:-1] in out
    assert "gm-key" not in out and "sessionStorage" not in out  # no key on the page
    assert "imperial: false" in out and "L.control.scale({\"imperial\": true" not in out
    urls = _asset_urls(out)
    assert "/static/vendor/leaflet.draw/leaflet.draw.js" in urls
    assert plan_edit.PLAN_EDIT_JS in urls and workbench.WORKBENCH_JS in urls
    # assets from gridmap itself; links only to gridmap's pages
    assert urls and all(u.startswith(("/static/", "data:", "/map")) for u in urls), urls
    # every building of the plan is selectable, every proposed grid carries its number
    assert out.count('"code": "L') >= 50 and '"seq": ' in out and "gm-grid-number" in out
    # the editor posts its edits as changes of the version the page shows (If-Match)
    assert re.search(r'gridmapPlanEditor\([^;]*"#ff7f00",\s*1\);', out)
    for button in ("生成方案", "撤销", "应用", "驳回"):
        assert f">{button}</button>" in out, button
    assert 'id="gm-undo" type="button" disabled' in out  # nothing to undo yet
    # the lattice has no grid workers: every new grid says so in its popup and the panel
    popup = json.dumps("<th>网格员</th><td>无网格员</td>")[1:-1]
    assert popup.replace("<", "\\u003c").replace(">", "\\u003e") in out
    assert 'id="gm-staffing"' in out and 'aria-label="网格员（#1）"' in out
    plans.reject_plan(session, plan.id, actor="t")
    rejected = render()
    assert "L.Control.Draw" not in rejected and "gridmapPlanEditor(" not in rejected
    assert 'id="gm-apply" type="button" disabled' in rejected and "已驳回" in rejected


def test_staffing_panel_lists_every_new_grid_unstaffed_first_with_a_labelled_select() -> None:
    side = dict.fromkeys(("grids", "in_range"), 0)
    community = "320706013003"
    staffing = {"grids": [
        {"seq": 2, "kind": "residential", "code": "C002", "community_code": community,
         "workers": [{"worker_code": "W1", "worker_name": "王<一>", "source": "carried"}]},
        {"seq": 4, "kind": "residential", "code": "C004", "community_code": community,
         "workers": []},
        {"seq": 5, "kind": "commercial", "code": "C005", "community_code": community,
         "workers": [{"worker_code": "W2", "worker_name": "李二", "source": "planner"}]}],
        "unstaffed": [{"seq": 4, "kind": "residential", "code": "C004"}]}
    report = {"id": 3, "kind": "balance", "status": "draft", "version": 2, "crosswalk": [],
              "metrics": {"before": side, "after": side}, "staffing": staffing}
    candidates = [{"worker_code": "W3", "worker_name": "赵三", "community_code": community,
                   "seqs": []},
                  {"worker_code": "W1", "worker_name": "王<一>", "community_code": community,
                   "seqs": [2]},
                  {"worker_code": "W9", "worker_name": "别社区", "community_code": "x",
                   "seqs": []}]
    out = workbench_staffing.staffing_html(report, candidates)
    assert out.index('data-seq="4"') < out.index('data-seq="2"') < out.index('data-seq="5"')
    assert 'class="gm-unstaffed"' in out and "无网格员 1 个" in out and "⚠ 无网格员" in out
    assert 'aria-label="网格员（#4）"' in out and "王&lt;一&gt;（原网格员随迁）" in out
    assert "李二（规划指定）" in out and "赵三 W3（空闲）" in out and "（方案#2）" in out
    assert "别社区" not in out  # the community's workers only
    assert '<option value="W1" selected>' in out and 'data-picked="1"' in out
    assert "恢复建议（取消指定）" in out  # a planner's pick can be taken back
    assert 'id="gm-staffing"' in workbench_panel.review_html(report, 0, out)
    dialog = workbench_panel.confirm_html(report)
    assert 'id="gm-confirm-unstaffed"' in dialog and "#4 C004（住宅）" in dialog
    assert "C002" not in dialog and "C005" not in dialog
    report["staffing"] = {**staffing, "unstaffed": []}
    assert "gm-confirm-unstaffed" not in workbench_panel.confirm_html(report)
    assert workbench_staffing.staffing_html({**report, "status": "applied"}, candidates) == ""
