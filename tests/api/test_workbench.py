"""The planner workbench over HTTP: the page (/map/plans) and the undo of a plan edit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_region
from tests.layers.test_base_map import visible
from tests.plan_cases import make_lattice

LINE = {"type": "LineString", "coordinates": [[119.218, 34.59], [119.218, 34.62]]}


def _auth(session: Session, role: str = "planner", region: str | None = None) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role, region_code=region)}"}


def _rows(session: Session, plan_id: int) -> tuple:
    """The plan's grids (seq, households, flag, shape) and building assignment."""
    grids = session.execute(text("""
        SELECT seq, households, flag, source_grid_id, ST_AsEWKB(geom) FROM plan_grid
        WHERE plan_id = :p ORDER BY seq"""), {"p": plan_id}).all()
    buildings = session.execute(text("""
        SELECT b.code, pg.seq FROM plan_building pb JOIN building b ON b.id = pb.building_id
        JOIN plan_grid pg ON pg.id = pb.plan_grid_id WHERE pb.plan_id = :p ORDER BY b.code"""),
        {"p": plan_id}).all()
    crosswalk = session.execute(text("""
        SELECT old_grid_id, households, share FROM plan_crosswalk WHERE plan_id = :p
        ORDER BY old_grid_id, plan_grid_id"""), {"p": plan_id}).all()
    return [tuple(r) for r in grids], [tuple(r) for r in buildings], [tuple(r) for r in crosswalk]


def test_undo_takes_back_the_last_edits_one_by_one(client: TestClient,
                                                   session: Session) -> None:
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    planner = _auth(session, region=community)
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=planner).json()
    url = f"/api/v1/plans/{plan['id']}"
    nothing = client.post(f"{url}/undo", headers={**planner, "If-Match": '"1"'})
    assert nothing.status_code == 409 and "没有可撤销" in nothing.json()["detail"]
    drawn = _rows(session, plan["id"])
    split = client.post(f"{url}/edits", json={"op": "split", "line": LINE},
                        headers={**planner, "If-Match": '"1"'})
    assert split.status_code == 200, split.text
    after_split = _rows(session, plan["id"])
    west = next(seq for code, seq in after_split[1] if code == "L72")
    moved = client.post(f"{url}/edits", json={"op": "move", "buildings": ["L82"],
                                              "to_seq": west}, headers=planner)
    assert moved.status_code == 200 and _rows(session, plan["id"]) != after_split
    stale = client.post(f"{url}/undo", headers={**planner, "If-Match": '"2"'})
    assert stale.status_code == 412  # the page showed version 2; the plan is at 3
    undone = client.post(f"{url}/undo", headers={**planner, "If-Match": '"3"'})
    assert undone.status_code == 200, undone.text
    assert undone.headers["ETag"] == '"4"' and undone.json()["version"] == 4
    assert _rows(session, plan["id"]) == after_split
    assert undone.json()["metrics"] == split.json()["metrics"]
    again = client.post(f"{url}/undo", headers=planner)
    assert again.status_code == 200 and _rows(session, plan["id"]) == drawn
    assert len(again.json()["grids"]["features"]) == len(plan["grids"]["features"])
    assert again.json()["metrics"] == plan["metrics"]
    assert client.post(f"{url}/undo", headers=planner).status_code == 409
    viewer = _auth(session, role="viewer")
    assert client.post(f"{url}/undo", headers=viewer).status_code == 403
    # an undone plan applies as drawn (the lattice has no grid workers: confirmed)
    applied = client.post(f"{url}/apply", headers=planner, params={"confirm_unstaffed": "true"})
    assert applied.status_code == 200 and client.post(f"{url}/undo",
                                                      headers=planner).status_code == 409


def test_workbench_page_lists_the_areas_problems_and_plans(client: TestClient,
                                                          session: Session) -> None:
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    planner = _auth(session, region=community)
    page = client.get("/map/plans", params={"scope": community}, headers=planner)
    assert page.status_code == 200, page.text
    for text_ in ("网格调整工作台", "社区/街道", "问题清单", "户数超出范围的网格", "生成方案",
                  "暂无方案", 'aria-current="page">网格调整'):
        assert text_ in page.text, text_
    assert "/static/gridmap/workbench.js" in page.text and "sessionStorage" not in page.text
    assert "gm-csrf" in page.text
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=planner).json()
    listed = client.get("/map/plans", params={"scope": community}, headers=planner).text
    assert f"plan={plan['id']}" in listed and "草稿" in listed and "均衡调整" in listed
    review = client.get("/map/plans", params={"plan": plan["id"]}, headers=planner)
    assert review.status_code == 200
    for text_ in (">撤销</button>", ">应用</button>", ">驳回</button>", 'id="gm-confirm"',
                  "新建网格：<b data-metric='grids_new'>"):
        assert text_ in review.text, text_
    assert review.text.count("L.map(") == 2  # current and proposed side by side
    same = client.get(f"/map/plans/{plan['id']}", headers=planner)
    assert same.status_code == 200 and 'id="gm-review"' in same.text


def test_workbench_stays_inside_the_planners_region(client: TestClient,
                                                    session: Session) -> None:
    community, _, _ = make_lattice(session)
    make_region(session, code="320706013009", name="别处社区", level="community")
    other = _auth(session, region="320706013009")
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=_auth(session)).json()
    assert client.get("/map/plans", params={"scope": community},
                      headers=other).status_code == 403
    assert client.get("/map/plans", params={"plan": plan["id"]},
                      headers=other).status_code == 404
    assert client.get("/map/plans", headers=_auth(session, role="viewer")).status_code == 403
    mine = client.get("/map/plans", headers=other)
    assert mine.status_code == 200 and f"plan={plan['id']}" not in mine.text


def test_qa_map_lists_grids_out_of_their_household_range(client: TestClient,
                                                         session: Session) -> None:
    community, _, _ = make_lattice(session)
    planner = _auth(session, region=community)
    load = client.get("/api/v1/grids/load", params={"scope": community, "only_out_of_range":
                                                     True}, headers=planner).json()
    bad = {row["code"]: row for row in load["grids"]}
    assert bad, "the lattice has grids out of range"
    page = client.get("/map/qa", params={"scope": community}, headers=planner)
    assert page.status_code == 200
    assert visible(page.text, f"户数超出范围的网格（{len(bad)}）")
    for code, row in bad.items():
        assert visible(page.text, f"<tr><td>{code}</td><td>{row['households']}</td>")
    assert visible(page.text, "低于下限") or visible(page.text, "超过上限")
    workbench = client.get("/map/plans", params={"scope": community}, headers=planner).text
    assert all(f'data-grid="{code}"' in workbench for code in bad)
