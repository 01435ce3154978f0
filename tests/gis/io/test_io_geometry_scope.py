"""Shapes imported by a region-limited key: inside the boundary (1 m of digitising noise
allowed), or refused with how much lies outside."""

from __future__ import annotations

import geopandas as gpd
import shapely
from sqlalchemy.orm import Session

from gis.io import jurisdiction
from gis.io.report import Checks
from tests.gis.iofiles import COMMUNITY, make_region

LON, LAT, SIZE = 119.20, 34.60, 0.01  # the community: about 920 m by 1,110 m
METRE = 1 / 92_000  # a metre of longitude here, in degrees, roughly


def _judge(session: Session, shapes: list[shapely.Geometry]) -> dict[int, str]:
    geoms = gpd.GeoSeries(shapes, crs=4490)
    checks = Checks(geoms.index)
    jurisdiction.reject_reaching_out(session, geoms, checks, COMMUNITY)
    return {int(i): r for i, r in checks.reason.items() if r}


def test_shapes_reaching_out_are_refused_with_the_amount(session: Session) -> None:
    make_region(session, geom=shapely.box(LON, LAT, LON + SIZE, LAT + SIZE))
    east = LON + SIZE
    reasons = _judge(session, [
        shapely.box(east - 0.002, LAT, east + 0.5 * METRE, LAT + 0.002),  # noise: kept
        shapely.box(east - 0.002, LAT, east + 30 * METRE, LAT + 0.002),   # ~0.6 ha out
        shapely.box(east - 0.002, LAT, east + 5 * METRE, LAT + 0.0002),   # ~100 m² out
        shapely.Point(east + 0.001, LAT + 0.001),
        shapely.LineString([(east - 0.001, LAT + 0.001), (east + 0.001, LAT + 0.001)]),
        None,
    ])
    assert set(reasons) == {1, 2, 3, 4}
    assert "reaches 0.6 ha outside 320706013001 (超出辖区)" in reasons[1]
    assert " m² outside 320706013001" in reasons[2] and "draw it inside" in reasons[2]
    assert reasons[3].startswith("lies outside") and reasons[4].startswith("reaches 9")


def test_unknown_boundary_is_refused(session: Session) -> None:
    reasons = _judge(session, [shapely.box(LON, LAT, LON + 0.001, LAT + 0.001)])
    assert "not in gridmap's regions" in reasons[0]
