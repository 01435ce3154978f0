"""Plan review page builders: grid styling, metrics and crosswalk tables, synced maps."""

from __future__ import annotations

import geopandas as gpd
from shapely import MultiPolygon, box

from layers import plans as plan_layers


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
