"""Region reads: level/parent filters, geodesic area, NotFound, bad level."""

import pytest
from sqlalchemy.orm import Session

from gis.core.errors import InvalidInput, NotFound
from gis.places import regions
from tests.builders import make_region, square


def test_regions(session: Session) -> None:
    make_region(session, code="320706000000", level="district", geom=square(size=0.1))
    make_region(session, code="320706013000", level="subdistrict", parent_code="320706000000",
                geom=square(119.20, 34.60, 0.02))
    assert list(regions.list_regions(session, level="district").code) == ["320706000000"]
    children = regions.list_regions(session, parent_code="320706000000")
    assert list(children.code) == ["320706013000"]
    # 0.02° square at lat 34.6 ≈ 2.219 km × 1.833 km
    assert children.area_km2[0] == pytest.approx(4.07, rel=0.01)
    assert regions.get_region(session, "320706013000").level[0] == "subdistrict"
    with pytest.raises(NotFound, match="12 digits"):
        regions.get_region(session, "3207")
    with pytest.raises(InvalidInput, match="country"):
        regions.list_regions(session, level="country")
