"""Topology QA on a hand-drawn community: each problem found once, with its area."""

from __future__ import annotations

import math

import pytest
from shapely import box
from sqlalchemy.orm import Session

from gis.grids import qa
from tests.builders import make_building, make_grid, make_region

M_PER_DEG_LAT = 110_950.0  # at 34.6°N
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(34.61))


def _case(session: Session) -> str:
    c = make_region(session, geom=box(119.20, 34.60, 119.22, 34.62)).code
    a = make_grid(session, community_code=c, geom=box(119.20, 34.601, 119.2105, 34.615))
    make_grid(session, community_code=c, geom=box(119.2100, 34.601, 119.22, 34.615))
    # C leaves a 0.9 m wide strip along the east edge (a sliver) and pokes 555 m north
    make_grid(session, community_code=c, geom=box(119.20, 34.615, 119.21999, 34.625))
    make_building(session, community_code=c, grid=a,
                  geom=box(119.202, 34.6148, 119.2025, 34.6153))  # cut by the A/C edge
    make_building(session, community_code=c, geom=box(119.205, 34.6002, 119.2053, 34.6005))
    return c


def test_each_problem_once_with_its_area(session: Session) -> None:
    issues = qa.list_qa_issues(session, scope_code=_case(session), theme="unified")
    counts = issues["check"].value_counts().to_dict()
    assert counts == {"overlap": 1, "gap": 1, "gap_sliver": 1, "crosses_community": 1,
                      "building_cut": 1, "building_outside": 1}
    area = issues.set_index("check")["area_m2"]
    assert area["overlap"] == pytest.approx(0.0005 * M_PER_DEG_LON * 0.014 * M_PER_DEG_LAT,
                                            rel=0.01)
    assert area["gap"] == pytest.approx(0.02 * M_PER_DEG_LON * 0.001 * M_PER_DEG_LAT, rel=0.01)
    assert area["crosses_community"] == pytest.approx(
        0.01999 * M_PER_DEG_LON * 0.005 * M_PER_DEG_LAT, rel=0.01)
    assert area["gap_sliver"] < qa.SLIVER_M2 * 10
    # 40 % of the cut building lies outside the grid holding most of it (C)
    building = 0.0005 * M_PER_DEG_LON * 0.0005 * M_PER_DEG_LAT
    assert area["building_cut"] == pytest.approx(0.4 * building, rel=0.02)
    assert issues.crs.to_epsg() == 4490


def test_clean_layer_has_no_problems(session: Session) -> None:
    c = make_region(session, geom=box(119.20, 34.60, 119.22, 34.62)).code
    g = make_grid(session, community_code=c, geom=box(119.20, 34.60, 119.21, 34.62))
    make_grid(session, community_code=c, geom=box(119.21, 34.60, 119.22, 34.62))
    make_building(session, community_code=c, grid=g, geom=box(119.201, 34.601, 119.2012, 34.6012))
    issues = qa.list_qa_issues(session, scope_code=c)
    assert issues.empty
    summary = qa.summary_from_issues(issues)
    assert list(summary["check"]) == list(qa.CHECKS) and summary["problems"].sum() == 0
