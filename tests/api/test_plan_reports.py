"""Plan reports over HTTP: JSON, .xlsx, the printable page, plan against plan; planners of
the plan's region only (404 outside it, like every plan route)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_region
from tests.plan_cases import make_lattice


def _auth(session: Session, role: str = "planner", region: str | None = None) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role, region_code=region)}"}


def _plan(client: TestClient, headers: dict, community: str, kind: str = "balance") -> int:
    res = client.post("/api/v1/plans", json={"kind": kind, "scope": community},
                      headers=headers)
    assert res.status_code == 201, res.text
    return int(res.json()["id"])


def test_report_json_xlsx_page_and_compare(client: TestClient, session: Session) -> None:
    community, _, _ = make_lattice(session)
    planner = _auth(session, region=community)
    a, b = _plan(client, planner, community), _plan(client, planner, community, "merge")
    kinds = {f["geometry"]["type"] for f in client.get(
        f"/api/v1/plans/{a}", headers=planner).json()["grids"]["features"]}
    assert kinds == {"Polygon"}  # one polygon per planned grid, also on the way out
    sheet = client.get(f"/api/v1/plans/{a}/report", headers=planner)
    assert sheet.status_code == 200, sheet.text
    body = sheet.json()
    assert body["crs"].startswith("EPSG:45") and body["totals"]["households"] == 2500
    assert {"polsby_popper", "hull_ratio", "reock", "area_km2", "moved_households"} <= set(
        body["grids"][0])
    xlsx = client.get(f"/api/v1/plans/{a}/report.xlsx", params={"against": b},
                      headers=planner)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "网格", "拆分小区", "方案对比"]
    assert book["网格"].max_row == 1 + len(body["grids"])
    page = client.get(f"/map/plans/{a}/report", headers=planner)
    assert page.status_code == 200
    assert page.text.count("L.map(") == 2 and "@media print" in page.text
    assert "各网格" in page.text and "Polsby-Popper" in page.text and "凸包面积比" in page.text
    assert "unpkg.com" not in page.text and "cdn.jsdelivr" not in page.text
    compared = client.get("/api/v1/plans/compare", params={"a": a, "b": b}, headers=planner)
    assert compared.status_code == 200, compared.text
    rows = {r["measure"]: r for r in compared.json()["rows"]}
    assert rows["grids"]["a"] == len(body["grids"])


def test_reports_of_another_region_do_not_exist(client: TestClient, session: Session) -> None:
    community, _, _ = make_lattice(session)
    subdistrict = make_region(session, code="320706913000", level="subdistrict").code
    other = make_region(session, code="320706913002", parent_code=subdistrict).code
    plan = _plan(client, _auth(session, region=subdistrict), community)
    for role in ("planner", "admin"):
        stranger = _auth(session, role=role, region=other)
        for path, params in ((f"/api/v1/plans/{plan}/report", {}),
                             (f"/api/v1/plans/{plan}/report.xlsx", {}),
                             (f"/map/plans/{plan}/report", {}),
                             ("/api/v1/plans/compare", {"a": plan, "b": plan})):
            answer = client.get(path, params=params, headers=stranger)
            assert answer.status_code == 404, (role, path, answer.text)
    viewer = _auth(session, role="viewer", region=community)
    assert client.get(f"/api/v1/plans/{plan}/report", headers=viewer).status_code == 403
    assert client.get(f"/api/v1/plans/{plan}/report").status_code == 401


def test_plan_options_reach_the_report(client: TestClient, session: Session) -> None:
    community, _, _ = make_lattice(session)
    planner = _auth(session, region=community)
    body = {"kind": "balance", "scope": community, "barriers": True,
            "weights": {"events_per_month": 1, "special": 2, "area_ha": 1}}
    res = client.post("/api/v1/plans", json=body, headers=planner)
    assert res.status_code == 201, res.text
    sheet = client.get(f"/api/v1/plans/{res.json()['id']}/report", headers=planner).json()
    assert sheet["options"]["barriers"] is True
    assert sheet["options"]["weights"] == {"events_per_month": 1.0, "special": 2.0,
                                           "area_ha": 1.0}
    page = client.get(f"/map/plans/{res.json()['id']}/report", headers=planner).text
    assert "2.0 × 特殊人群人数" in page and "铁路" in page
    bad = client.post("/api/v1/plans", json={**body, "weights": {"special": -1}},
                      headers=planner)
    assert bad.status_code == 422
