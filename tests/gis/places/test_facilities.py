"""Facility reads: points and polygons, type filter, bbox, NotFound."""

import pytest
from shapely import Point
from sqlalchemy.orm import Session

from gis.core.errors import InvalidInput, NotFound
from gis.places import facilities
from tests.builders import make_facility, square


def test_facilities(session: Session) -> None:
    make_facility(session, code="F1", type="clinic", geom=Point(119.205, 34.605))
    make_facility(session, code="F2", type="shelter", capacity=300,
                  geom=square(119.30, 34.70, 0.001))
    frame = facilities.list_facilities(session)
    assert list(frame.geom_type) == ["Point", "Polygon"]
    assert list(facilities.list_facilities(session, type="shelter").code) == ["F2"]
    boxed = facilities.list_facilities(session, bbox="119.2,34.6,119.21,34.61")
    assert list(boxed.code) == ["F1"]
    assert facilities.get_facility(session, "F2").capacity[0] == 300
    with pytest.raises(NotFound):
        facilities.get_facility(session, "F3")
    with pytest.raises(InvalidInput, match="casino"):
        facilities.list_facilities(session, type="casino")
