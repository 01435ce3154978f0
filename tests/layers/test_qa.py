"""The QA layer builder: one GeoJSON feature per problem, coloured by check."""

from __future__ import annotations

import geopandas as gpd
from shapely import MultiPolygon, box

from gis.grids import qa
from layers import qa as qa_layers


def test_one_feature_per_problem_in_its_colour() -> None:
    issues = gpd.GeoDataFrame(
        {"check": ["gap", "building_cut"], "label": [qa.CHECKS["gap"], qa.CHECKS["building_cut"]],
         "theme": ["unified"] * 2, "community_code": ["320706013001"] * 2,
         "grid_codes": [[], ["A", "B"]], "building_code": [None, "B1"], "area_m2": [10.0, 2.0],
         "buildings": [0, 1]},
        geometry=[MultiPolygon([box(119.2, 34.6, 119.21, 34.61)]),
                  MultiPolygon([box(119.22, 34.6, 119.221, 34.601)])], crs=4490)
    group = qa_layers.qa_layer(issues)
    [geojson] = list(group._children.values())
    features = geojson.data["features"]
    assert [f["properties"]["color"] for f in features] == [qa_layers.COLORS["gap"],
                                                           qa_layers.COLORS["building_cut"]]
    assert "A、B" in features[1]["properties"]["popup"]
    assert set(qa_layers.COLORS) == set(qa.CHECKS)
