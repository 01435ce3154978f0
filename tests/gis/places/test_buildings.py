"""Building reads: filters, bbox on the GiST index, paging, NotFound."""

import pytest
from sqlalchemy.orm import Session

from gis.core.errors import NotFound
from gis.places import buildings
from tests.builders import make_building, make_grid, make_region, square


def test_list_filters_and_detail(session: Session) -> None:
    make_region(session, code="320706013001")
    grid = make_grid(session, code="G1")
    make_building(session, code="B1", grid=grid, households=8, residents=20,
                  community_code="320706013001", geom=square(119.203, 34.603, 0.0005))
    make_building(session, code="B2", geom=square(119.40, 34.80, 0.0005))
    frame = buildings.list_buildings(session)
    assert list(frame.columns) == ["id", "code", "address", "compound", "floors", "households",
                                   "residents", "use", "community_code", "grid_code", "geom"]
    assert list(frame.code) == ["B1", "B2"] and frame.crs.to_epsg() == 4490
    assert list(buildings.list_buildings(session, grid_code="G1").code) == ["B1"]
    assert list(buildings.list_buildings(session, community_code="320706013001").code) == ["B1"]
    boxed = buildings.list_buildings(session, bbox=(119.3, 34.7, 119.5, 34.9))
    assert list(boxed.code) == ["B2"]
    page = buildings.list_buildings(session, limit=1, offset=1)
    assert list(page.code) == ["B2"] and page.attrs["number_matched"] == 2
    one = buildings.get_building(session, "B1")
    assert (one.households[0], one.grid_code[0]) == (8, "G1")
    with pytest.raises(NotFound, match="B9"):
        buildings.get_building(session, "B9")
