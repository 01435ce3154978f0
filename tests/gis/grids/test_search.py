"""gis.grids.search: which texts read as pasted coordinates (no database)."""

from __future__ import annotations

import pytest

from gis.grids.search import COORDINATES


@pytest.mark.parametrize(("text", "lon", "lat"), [
    ("119.2262,34.6031", "119.2262", "34.6031"),
    (" 119.2262， 34.6031 ", "119.2262", "34.6031"),  # full-width comma, spaces
    ("119.2262 34.6031", "119.2262", "34.6031"),
    ("-73.98,40.75", "-73.98", "40.75"),
])
def test_pasted_coordinates_are_read(text: str, lon: str, lat: str) -> None:
    found = COORDINATES.match(text)
    assert found and (found[1], found[2]) == (lon, lat)


@pytest.mark.parametrize("text", ["朝阳东路12号3栋", "320706013001001", "12-3栋", "119.2",
                                  "119.2,34.6,5", "1192262,346031", "12 3", "12,3"])
def test_other_texts_are_not_coordinates(text: str) -> None:
    assert COORDINATES.match(text) is None
