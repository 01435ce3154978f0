"""GeoJSON out of frames: the serialised fast path says exactly what the dict path says."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import event
from sqlalchemy.orm import Session

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


def test_a_frame_from_sql_in_one_statement_with_its_geometries(session: Session) -> None:
    """One statement (no catalogue probe first), WKB parsed for the whole column, NULL
    geometries None, times as pandas reads them (UTC), EPSG:4490; an empty result too."""
    statements: list[str] = []
    listen = event.listens_for(session.get_bind(), "before_cursor_execute")
    listen(lambda _c, _cur, statement, *_: statements.append(statement))
    frame = frames.frame_from_sql(session, """
        SELECT * FROM (VALUES
            (1, ST_GeomFromText('POINT(119.2 34.6)', 4490), timestamptz '2026-12-03 08:00+08'),
            (2, NULL::geometry, NULL::timestamptz)) AS t(id, geom, at) ORDER BY id""")
    assert [s for s in statements if not s.startswith("SAVEPOINT")] == statements[-1:]
    assert frame.crs.to_epsg() == 4490 and frame.geometry.name == "geom"
    assert frame.geometry.iloc[0].equals(shapely.Point(119.2, 34.6))
    assert frame.geometry.iloc[1] is None
    assert str(frame["at"].iloc[0]) == "2026-12-03 00:00:00+00:00"
    empty = frames.frame_from_sql(session, "SELECT 1 AS id, NULL::geometry AS geom WHERE false")
    assert len(empty) == 0 and isinstance(empty, gpd.GeoDataFrame)
