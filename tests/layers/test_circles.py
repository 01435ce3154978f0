"""Builders of the coverage map: circles, coloured buildings, sites, legend (no database)."""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
from shapely import MultiPolygon, box

from gis.access.callers import ANONYMOUS, Caller
from layers import circles as layer


def circles_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "facility_id": [1], "code": ["F1"], "name": ["朐阳社区党群服务中心"],
        "type": ["party_center"], "level": ["community"], "minutes": [10.0],
        "speed_m_per_min": [50.0], "distance_m": [500.0], "snap_distance_m": [3.2],
        "area_m2": [312_000.0]},
        geometry=[MultiPolygon([box(119.2, 34.6, 119.205, 34.605)])], crs=4490)


def buildings_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "id": [1, 2, 3], "code": ["B1", "B2", "B3"], "address": ["甲楼", "乙楼", "丙楼"],
        "households": [10, 20, 3], "residents": [25, 50, 6],
        "community_code": ["320706013001"] * 3, "distance_m": [120.0, 910.0, np.inf],
        "covered": [True, False, False], "off_network": [False, False, True]},
        geometry=[box(119.2 + i * 0.001, 34.6, 119.2005 + i * 0.001, 34.6005) for i in range(3)],
        crs=4490)


def _features(geojson: folium.GeoJson) -> list[dict]:
    return geojson.data["features"]


def test_circle_layer_popups_carry_units() -> None:
    (feature,) = _features(layer.circle_layer(circles_frame()))
    assert "步行时间" in feature["properties"]["popup"]
    assert "31.2 公顷" in feature["properties"]["popup"]


def test_buildings_are_coloured_and_details_need_a_key() -> None:
    frame = buildings_frame()
    public = _features(layer.coverage_building_layer(frame, ANONYMOUS))
    assert [f["properties"]["colour"] for f in public] == [
        layer.COVERED, layer.UNCOVERED, layer.OFF_NETWORK]
    assert "户数" not in public[1]["properties"]["popup"]
    assert "未覆盖" in public[1]["properties"]["popup"]
    admin = _features(layer.coverage_building_layer(frame, Caller(role="admin")))
    assert "910" in admin[1]["properties"]["popup"] and "户数" in admin[1]["properties"]["popup"]


def test_legend_states_the_rate_in_percent() -> None:
    text = layer.legend("党群服务中心", 10, {"rate": 0.6825, "covered_households": 17024,
                                       "households": 24944}, gained=2231)
    assert "户覆盖率 68.2%" in text and "17024 / 24944" in text and "2231 户" in text
    assert "—" in layer.legend("诊所", 5, {"rate": None}, gained=None)


def test_sites_are_numbered_markers() -> None:
    picks = [{"rank": 1, "lon": 119.21, "lat": 34.59, "households_gained": 200,
              "residents_gained": 500, "rate_after": 0.8}]
    group = layer.site_layer(picks)
    fmap = folium.Map()
    group.add_to(fmap)
    html = fmap.get_root().render()
    assert "80.0%" in html or json.dumps("80.0%")[1:-1] in html
    assert "gm-divicon" in html


def test_above_the_threshold_only_the_uncovered_are_embedded() -> None:
    frame = buildings_frame()  # ids 1 covered, 2 uncovered (20 households), 3 off-network
    shown, left = layer.embedded_buildings(frame, 3)
    assert list(shown["id"]) == [1, 2, 3] and left == 0
    shown, left = layer.embedded_buildings(frame, 2)
    assert list(shown["id"]) == [2, 3] and left == 0
    shown, left = layer.embedded_buildings(frame, 1)
    assert list(shown["id"]) == [2] and left == 1  # the most households first


def test_tiled_legend_names_the_rest_and_the_left_out() -> None:
    summary = {"rate": 0.5, "covered_households": 1, "households": 2}
    text = layer.legend("诊所", 5, summary, gained=None, tiled=True, left_out=7)
    assert layer.REST_LABEL in text and "另有 7 栋未覆盖建筑未显示" in text
    plain = layer.legend("诊所", 5, summary, gained=None)
    assert layer.REST_LABEL not in plain and "未显示" not in plain and "已覆盖建筑" in plain
