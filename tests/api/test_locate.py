"""GET /api/v1/locate over HTTP: answers, flags, and clear 4xx for bad input."""

from __future__ import annotations

import pytest

from gis.core import crs
from tests.builders import SUBDISTRICT, make_grid, make_region, make_worker, square


@pytest.fixture
def grids(session):
    make_region(session, code=SUBDISTRICT, name="测试街道", level="subdistrict")
    make_region(session, code="320706013002", name="西社区", parent_code=SUBDISTRICT)
    west = make_grid(session, code="G-1", community_code="320706013002",
                     geom=square(119.20, 34.60, 0.01))
    make_grid(session, code="G-2", community_code="320706013002",
              geom=square(119.21, 34.60, 0.01))
    make_worker(session, name="王五", phone="13900002222", grids=[west])
    return west


def test_locate_over_http(client, grids):
    body = client.get("/api/v1/locate", params={"lon": 119.205, "lat": 34.605}).json()
    assert body["grid"]["code"] == "G-1"
    assert body["community"]["name"] == "西社区"
    assert body["subdistrict"]["code"] == SUBDISTRICT
    assert body["worker"]["phone"] == "13900002222"  # public contact (上岗公示)
    assert body["on_boundary"] is False and body["outside"] is False


def test_locate_gcj02_and_bd09_twins(client, grids):
    for name, forward in (("gcj02", crs.wgs84_to_gcj02), ("bd09", crs.wgs84_to_bd09)):
        x, y = forward(119.2099, 34.605)
        body = client.get("/api/v1/locate",
                          params={"lon": float(x), "lat": float(y), "crs": name}).json()
        assert body["grid"]["code"] == "G-1", name


@pytest.mark.parametrize(("params", "code", "words"), [
    ({"lon": 34.605, "lat": 119.205}, "invalid_coordinates", "swapped"),
    ({"lon": 13.4, "lat": 52.5}, "invalid_coordinates", "outside China"),
    ({"lon": 119.205, "lat": 34.605, "crs": "EPSG:0"}, "unknown_crs", "unknown CRS"),
    ({"lon": 119.30, "lat": 34.605}, "outside_jurisdiction", "outside this jurisdiction"),
    ({"lon": "east", "lat": 34.605}, "invalid_input", "lon"),
])
def test_bad_input_is_a_clear_422(client, grids, params, code, words):
    response = client.get("/api/v1/locate", params=params)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert words in response.json()["detail"]
