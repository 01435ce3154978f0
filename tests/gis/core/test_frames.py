"""GeoJSON out of frames: the serialised fast path says exactly what the dict path says."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.core import frames


def _frame() -> gpd.GeoDataFrame:
    ring = [(119.2, 34.6), (119.21000000000001, 34.6), (119.21, 34.61234567890123),
            (119.2, 34.6)]
    return gpd.GeoDataFrame({
        "code": ["320706013001001", "网格二", None],
        "households": [412, np.nan, 0],
        "at": pd.to_datetime(["2026-12-01T08:00:00Z", None, "2026-01-02T03:04:05Z"]),
        "note": ['引号 " 反斜杠 \\ 换行\n', None, ""],
        "geometry": [shapely.Polygon(ring), None, shapely.Point(119.2, 34.6)],
    }, crs=4490)


def test_serialised_collection_equals_the_dict_one() -> None:
    frame = _frame()
    extra = {"numberMatched": 3, "links": [{"rel": "self", "href": "/x?a=1&b=网格"}]}
    for id_column in ("code", None, "missing"):
        fast = frames.feature_collection_json(frame, id_column=id_column, extra=extra)
        slow = frames.feature_collection_from_frame(frame, id_column=id_column, extra=extra)
        assert json.loads(fast) == slow
        assert list(json.loads(fast)) == list(slow)  # members in the same order


def test_serialised_collection_of_no_rows() -> None:
    empty = _frame().iloc[:0]
    assert json.loads(frames.feature_collection_json(empty)) == {
        "type": "FeatureCollection", "features": []}
