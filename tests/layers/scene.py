"""A small map scene for layer, page, tile and browser tests (EPSG:4490, 海州区 lon/lat).

One community holding two grids side by side: 北苑 with 600 households (over 500, "too big")
and 南苑 with 200 (under 300, "too small"); a building in each, a clinic and a party
centre, a river and one open event. Names carry characters that need HTML escaping.
"""

from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2.shape import from_shape
from shapely import MultiPolygon, Point, box
from sqlalchemy.orm import Session

from gis.models import Building, Facility, Grid, Region, WaterArea
from tests.builders import (
    make_building,
    make_event,
    make_facility,
    make_grid,
    make_region,
    make_worker,
)

COMMUNITY = "320706013001"
BIG, SMALL = "GM-N01", "GM-S01"
WEST, SOUTH, EAST, NORTH = 119.200, 34.600, 119.220, 34.620
MID = 34.610


@dataclass
class Scene:
    community: Region
    big: Grid
    small: Grid
    buildings: list[Building]
    facilities: list[Facility]


def make_scene(session: Session) -> Scene:
    """Flush the scene into ``session`` (commit it yourself when another process must see it)."""
    community = make_region(session, code=COMMUNITY, name="花果山社区",
                            geom=box(WEST, SOUTH, EAST, NORTH))
    big = make_grid(session, code=BIG, name="北苑<网格>", community_code=COMMUNITY,
                    geom=box(WEST, MID, EAST, NORTH))
    small = make_grid(session, code=SMALL, name="南苑网格", community_code=COMMUNITY,
                      geom=box(WEST, SOUTH, EAST, MID))
    buildings = [
        make_building(session, code="B-N1", address="海州区朝阳路1号", households=600,
                      residents=1500, community_code=COMMUNITY, grid=big,
                      geom=box(119.205, 34.612, 119.207, 34.614)),
        make_building(session, code="B-S1", address="海州区朝阳路9号", households=200,
                      residents=480, community_code=COMMUNITY, grid=small,
                      geom=box(119.205, 34.603, 119.207, 34.605)),
    ]
    facilities = [
        make_facility(session, code="F-CL", name="花果山卫生服务站", type="clinic",
                      community_code=COMMUNITY, geom=Point(119.212, 34.615)),
        make_facility(session, code="F-PC", name="花果山党群服务中心", type="party_center",
                      community_code=COMMUNITY, geom=box(119.212, 34.604, 119.214, 34.606)),
    ]
    make_worker(session, name="张网格", phone="13900001111", supervision_phone="0518-12345",
                grids=[big])
    make_event(session, grid=big, status="reported", geom=Point(119.206, 34.615))
    session.add(WaterArea(name="蔷薇河", geom=from_shape(
        MultiPolygon([box(119.215, SOUTH, 119.217, NORTH)]), srid=4490)))
    session.flush()
    return Scene(community, big, small, buildings, facilities)
