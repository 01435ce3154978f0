"""The plan report: per grid figures measured in the metric CRS, split compounds, totals,
plan against plan, the .xlsx workbook (gis.plans.report, workbook)."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pytest
import shapely
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import plans
from gis.core import crs
from gis.core.frames import frame_from_sql
from gis.plans import report, workbook
from tests.plan_cases import make_lattice


def test_figures_match_an_independent_measure(session: Session) -> None:
    community, _, _ = make_lattice(session)
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    sheet = report.plan_sheet(session, plan)
    epsg = crs.metric_epsg_of([119.20, 34.60, 119.22, 34.61])
    assert sheet["crs"] == f"EPSG:{epsg}"
    geoms = frame_from_sql(session, "SELECT seq, geom FROM plan_grid WHERE plan_id = :p "
                           "ORDER BY seq", {"p": plan.id}).to_crs(epsg).geometry.to_numpy()
    area, perim = shapely.area(geoms), shapely.length(geoms)
    grids = sheet["grids"]
    assert [g["seq"] for g in grids] == list(range(1, len(geoms) + 1))
    np.testing.assert_allclose([g["area_m2"] for g in grids], area, atol=0.1)
    np.testing.assert_allclose([g["polsby_popper"] for g in grids],
                               4 * np.pi * area / perim**2, atol=1e-4)
    np.testing.assert_allclose([g["hull_ratio"] for g in grids],
                               area / shapely.area(shapely.convex_hull(geoms)), atol=1e-4)
    radius = shapely.minimum_bounding_radius(geoms)
    np.testing.assert_allclose([g["reock"] for g in grids], area / (np.pi * radius**2),
                               atol=1e-3)
    assert sum(g["households"] for g in grids) == 2500 == sheet["totals"]["households"]
    assert all(g["parts"] == 1 for g in grids)
    moved = plan.metrics["moved_building_ids"]
    assert sheet["totals"]["buildings_moved"] == len(moved) > 0
    held = session.execute(text("SELECT sum(households) FROM building WHERE id = ANY(:i)"),
                           {"i": moved}).scalar_one()
    assert sheet["totals"]["households_moved"] == held


def test_split_compounds_are_listed(session: Session) -> None:
    community, _, buildings = make_lattice(session)
    # G1's 25 buildings (columns 0-4) are one compound of 1,250 households: more than one
    # grid may hold (500), so the plan must split it, and says it could not stay whole
    session.execute(text("UPDATE building SET compound = '测试小区' WHERE id = ANY(:i)"),
                    {"i": [b.id for b in buildings[:25]]})
    plan = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    split = report.split_compounds(session, plan)
    assert split["compound"].tolist() == ["测试小区"]
    assert split["grids"][0] >= 3 and split["households"][0] == 1250
    assert not split["fits_one_grid"][0] and split["grids_before"][0] == 1
    assert report.plan_sheet(session, plan)["totals"]["split_compounds"] == 1


def test_compare_and_workbook(session: Session) -> None:
    community, _, _ = make_lattice(session)
    a = plans.create_plan(session, kind="balance", scope_code=community, created_by="t")
    b = plans.create_plan(session, kind="merge", scope_code=community, created_by="t")
    same = report.compare_plans(session, a, a)
    assert same["same_grid_share"] == 1.0
    assert all(r["difference"] in (0, None) for r in same["rows"])
    other = report.compare_plans(session, a, b)
    grids = {r["measure"]: r for r in other["rows"]}["grids"]
    assert grids["a"] == len(plans.list_plan_grids(session, a.id))
    assert grids["difference"] == grids["b"] - grids["a"]
    data = workbook.workbook_from_report(report.plan_sheet(session, a), other)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "网格", "拆分小区", "方案对比"]
    sheet = book["网格"]
    assert [c.value for c in sheet[1]][:5] == ["网格序号", "原网格编码 (保留)", "社区", "类型",
                                               "户数 (户)"]
    assert sheet.max_row == 1 + len(plans.list_plan_grids(session, a.id))
    assert sum(r[4].value for r in sheet.iter_rows(min_row=2)) == 2500


@pytest.mark.parametrize("kind", ["balance"])
def test_report_maps_are_lon_lat(session: Session, kind: str) -> None:
    community, _, _ = make_lattice(session)
    plan = plans.create_plan(session, kind=kind, scope_code=community, created_by="t")
    maps = report.report_maps(session, plan)
    assert isinstance(maps["proposed"], gpd.GeoDataFrame)
    assert maps["proposed"].crs.to_epsg() == 4490 and len(maps["current"]) == 4
