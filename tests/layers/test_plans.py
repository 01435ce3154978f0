"""Plan review page builders: grid styling, metrics and crosswalk tables, synced maps."""

from __future__ import annotations

import json
import re

import geopandas as gpd
from shapely import MultiPolygon, box
from sqlalchemy.orm import Session

from gis import plans
from layers import assets, plan_edit
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
              "metrics": {"before": side, "after": {**side, "in_range": 2},
                          "buildings_moved": 3, "notes": ["<b>"],
                          "flags": [{"seq": 1, "reason": "单栋建筑 900 户"}]}}
    out = plan_layers.metrics_html(report)
    assert "<td>1</td><td>2</td>" in out and "&lt;b&gt;" in out and "900" in out
    table = plan_layers.crosswalk_html([{"old_theme": "party", "old_code": "P1", "new_seq": 2,
                                         "households": 40, "share": 0.25}])
    assert "P1" in table and "0.25" in table
    assert "empty" in plan_layers.crosswalk_html([])


def _asset_urls(page_html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page_html)


def test_draft_review_page_has_the_draw_editor_on_own_assets(session: Session) -> None:
    assert assets.has_leaflet_draw(), "Leaflet.draw missing: npm install (see layers/assets.py)"
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    out = plan_layers.review_page(plans.plan_review(session, plan.id))
    assert "new L.Control.Draw(" in out and "gridmapPlanEditor(" in out
    # the panel's HTML sits in the script as a JSON string (non-ASCII escaped)
    assert "gm-key" in out and json.dumps("粘贴 API 密钥（规划员）")[1:-1] in out
    urls = _asset_urls(out)
    assert "/static/vendor/leaflet.draw/leaflet.draw.js" in urls
    assert "/static/vendor/leaflet.draw/leaflet.draw.css" in urls
    assert plan_edit.PLAN_EDIT_JS in urls
    assert urls and all(u.startswith(("/static/", "data:")) for u in urls), urls
    # every building of the plan is selectable, every proposed grid carries its number
    assert out.count('"code": "L') >= 50 and '"seq": ' in out
    # the editor posts its edits as changes of the version the page shows (If-Match)
    assert re.search(r'gridmapPlanEditor\([^;]*"#ff7f00",\s*1\);', out)
    plans.reject_plan(session, plan.id, actor="t")
    rejected = plan_layers.review_page(plans.plan_review(session, plan.id))
    assert "L.Control.Draw" not in rejected and "gridmapPlanEditor(" not in rejected
