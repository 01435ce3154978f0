"""Plans over real HTTP: draw, review, map, apply, history, conflicts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import keys
from tests.builders import make_region, make_worker
from tests.plan_cases import PAST, make_lattice


def _auth(session: Session, role: str = "planner", region: str | None = None) -> dict:
    key = keys.create_key(session, role=role, region_code=region)
    return {"Authorization": f"Bearer {key}"}


def test_draw_review_apply_and_history(client: TestClient, session: Session) -> None:
    community, grids, buildings = make_lattice(session, valid_from=PAST)
    planner = _auth(session, region=community)
    res = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                      headers=planner)
    assert res.status_code == 201, res.text
    plan = res.json()
    assert plan["status"] == "draft" and len(plan["grids"]["features"]) == 6
    assert plan["metrics"]["after"]["share_in_range"] == 1.0
    assert all(300 <= f["properties"]["households"] <= 500 for f in plan["grids"]["features"])
    viewer = _auth(session, role="viewer")
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=viewer).status_code == 200
    page = client.get(f"/map/plans/{plan['id']}", headers=planner)
    assert page.status_code == 200 and "SyncViews" not in page.text  # rendered, not named
    assert page.text.count("L.map(") == 2 and "setView(src.getCenter()" in page.text
    assert "unpkg.com" not in page.text and "cdn.jsdelivr" not in page.text
    applied = client.post(f"/api/v1/plans/{plan['id']}/apply", headers=planner,
                          params={"confirm_unstaffed": "true"})
    assert applied.status_code == 200, applied.text
    assert len(applied.json()["grids_created"]) == 6
    history = client.get(f"/api/v1/buildings/{buildings[0].code}/grid-history",
                         headers=viewer).json()["periods"]
    assert history[0]["grid_code"] == grids["G1"].code
    assert history[-1]["grid_code"] in applied.json()["grids_created"]
    then = client.get(f"/api/v1/buildings/{buildings[0].code}/grid-history",
                      params={"at": "2021-01-01T00:00:00Z"}, headers=viewer).json()
    assert [p["grid_code"] for p in then["periods"]] == [grids["G1"].code]
    located = client.get("/api/v1/locate", params={"lon": 119.2007, "lat": 34.6007,
                                                    "at": "2021-01-01T00:00:00Z"})
    assert located.status_code == 200 and grids["G1"].code in located.text
    now = client.get("/api/v1/locate", params={"lon": 119.2007, "lat": 34.6007})
    assert now.status_code == 200 and history[-1]["grid_code"] in now.text
    again = client.post(f"/api/v1/plans/{plan['id']}/apply", headers=planner)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_version_conflict_is_409(client: TestClient, session: Session) -> None:
    community, grids, _ = make_lattice(session, valid_from=PAST)
    planner = _auth(session)
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=planner).json()
    session.execute(text("UPDATE grid SET version = version + 1 WHERE id = :g"),
                    {"g": grids["G2"].id})
    res = client.post(f"/api/v1/plans/{plan['id']}/apply", headers=planner)
    assert res.status_code == 409 and grids["G2"].code in res.json()["detail"]


def test_refusals(client: TestClient, session: Session) -> None:
    community, _, _ = make_lattice(session)
    elsewhere = make_region(session, code="320706914001").code
    body = {"kind": "balance", "scope": community}
    assert client.post("/api/v1/plans", json=body).status_code == 401
    assert client.post("/api/v1/plans", json=body,
                       headers=_auth(session, role="viewer")).status_code == 403
    assert client.post("/api/v1/plans", json=body,
                       headers=_auth(session, region=elsewhere)).status_code == 403
    bad = client.post("/api/v1/plans", json={"kind": "shuffle", "scope": community},
                      headers=_auth(session))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
    assert client.post("/api/v1/plans", json={"kind": "merge", "scope": "320706999999"},
                       headers=_auth(session)).status_code == 404
    assert client.get("/api/v1/plans/999999", headers=_auth(session)).status_code == 404
    assert client.get("/api/v1/buildings/NOPE/grid-history",
                      headers=_auth(session)).status_code == 404


def test_plans_of_another_region_do_not_exist_for_its_keys(client: TestClient,
                                                          session: Session) -> None:
    community, _, _ = make_lattice(session)  # 320706913001
    subdistrict = make_region(session, code="320706913000", level="subdistrict").code
    other = make_region(session, code="320706913002", parent_code=subdistrict).code
    owner = _auth(session, region=subdistrict)  # a subdistrict key draws for its community
    res = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                      headers=owner)
    assert res.status_code == 201, res.text
    plan = res.json()["id"]
    edit = {"op": "merge", "seqs": [1, 2]}
    for role in ("planner", "admin", "viewer"):  # admin keys keep to their --region too
        stranger = _auth(session, role=role, region=other)
        for method, path, body in (("get", f"/api/v1/plans/{plan}", None),
                                   ("post", f"/api/v1/plans/{plan}/edits", edit),
                                   ("post", f"/api/v1/plans/{plan}/apply", None),
                                   ("post", f"/api/v1/plans/{plan}/reject", None),
                                   ("get", f"/map/plans/{plan}", None)):
            answer = client.request(method, path, json=body, headers=stranger)
            if role == "viewer" and (method == "post" or path.startswith("/map/")):
                assert answer.status_code == 403, (role, path, answer.text)  # the role first
                continue
            assert answer.status_code == 404, (role, path, answer.text)
            assert answer.json() == {"detail": f"no plan {plan}", "code": "not_found"}
    insider = _auth(session, role="viewer", region=community)
    report = client.get(f"/api/v1/plans/{plan}", headers=insider)
    assert report.status_code == 200 and report.json()["status"] == "draft"  # nothing applied
    assert client.get(f"/map/plans/{plan}", headers=owner).status_code == 200


def test_no_plan_wider_than_the_keys_region(client: TestClient, session: Session) -> None:
    community, _, _ = make_lattice(session)  # 320706913001
    subdistrict = make_region(session, code="320706913000", level="subdistrict").code
    refused = client.post("/api/v1/plans", json={"kind": "balance", "scope": subdistrict},
                          headers=_auth(session, region=community))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert f"a plan for {subdistrict} is not inside your jurisdiction {community}" in \
        refused.json()["detail"]
    admin = _auth(session, role="admin", region=community)
    assert client.post("/api/v1/plans", json={"kind": "merge", "scope": subdistrict},
                       headers=admin).status_code == 403


def test_edit_over_http(client: TestClient, session: Session) -> None:
    community, _, _ = make_lattice(session, merged_g3_g4=True)
    planner = _auth(session)
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=planner).json()
    kept = next(f["properties"]["seq"] for f in plan["grids"]["features"]
                if f["properties"]["source_grid_id"] is not None)
    line = {"type": "LineString", "coordinates": [[119.218, 34.59], [119.218, 34.62]]}
    res = client.post(f"/api/v1/plans/{plan['id']}/edits",
                      json={"op": "split", "seq": kept, "line": line}, headers=planner)
    assert res.status_code == 200, res.text
    assert len(res.json()["grids"]["features"]) == len(plan["grids"]["features"]) + 1
    assert {f["seq"] for f in res.json()["metrics"]["flags"]} >= {kept}  # 250 < 300
    # the west half (column 8) loses its middle building L82: two pieces, flagged as such
    west = session.execute(text("""
        SELECT pg.seq FROM plan_building pb JOIN plan_grid pg ON pg.id = pb.plan_grid_id
        JOIN building b ON b.id = pb.building_id WHERE pb.plan_id = :p AND b.code = 'L72'"""),
        {"p": plan["id"]}).scalar_one()
    cut = client.post(f"/api/v1/plans/{plan['id']}/edits",
                      json={"op": "move", "buildings": ["L82"], "to_seq": west},
                      headers=planner)
    assert cut.status_code == 200, cut.text
    flags = {f["seq"]: f for f in cut.json()["metrics"]["flags"]}
    assert flags[kept]["flag"] == "noncontiguous" and "2 片" in flags[kept]["reason"]
    assert "200 户低于下限" in flags[kept]["reason"]  # households named too
    east = max(flags)  # the split's new east half: 250, still undersized
    assert flags[east]["flag"] == "undersized"
    props = {f["properties"]["seq"]: f["properties"] for f in cut.json()["grids"]["features"]}
    assert props[kept]["flag"] == "noncontiguous" and props[east]["flag"] == "undersized"
    bad = client.post(f"/api/v1/plans/{plan['id']}/edits",
                      json={"op": "split", "seq": kept, "line": {"type": "Point"}},
                      headers=planner)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_geometry"
    # flags are warnings for the planner: a plan holding them still applies, as before
    applied = client.post(f"/api/v1/plans/{plan['id']}/apply", headers=planner,
                          params={"confirm_unstaffed": "true"})
    assert applied.status_code == 200, applied.text
    assert len(applied.json()["grids_created"]) == len(props)  # every grid was redrawn


@pytest.mark.parametrize("community", ["320706013001", "320706013004"])
def test_grid_history_only_inside_the_keys_region(demo_client: TestClient,
                                                  demo_session: Session,
                                                  community: str) -> None:
    """A community key reads the grid history of its own buildings (the current grid), and
    another community's building is a 404, as if it did not exist; an unscoped key reads both."""
    mine, theirs = (demo_session.scalar(text(
        "SELECT b.code FROM building b JOIN grid g ON g.id = b.grid_id "
        "WHERE (b.community_code = :c) = :same ORDER BY b.code LIMIT 1"),
        {"c": community, "same": same}) for same in (True, False))
    scoped, everywhere = _auth(demo_session, "viewer", community), _auth(demo_session, "viewer")
    own = demo_client.get(f"/api/v1/buildings/{mine}/grid-history", headers=scoped)
    assert own.status_code == 200 and own.json()["periods"][-1]["grid_code"].startswith(
        community)
    assert demo_client.get(f"/api/v1/buildings/{theirs}/grid-history",
                           headers=scoped).status_code == 404
    other = demo_client.get(f"/api/v1/buildings/{theirs}/grid-history", headers=everywhere)
    assert other.status_code == 200 and other.json()["periods"]


def test_staffing_picks_and_apply_over_http(client: TestClient, session: Session) -> None:
    """The report warns of new grids without a worker; apply names them (409) until the
    planner picks a worker for each (PUT …/workers, If-Match) or confirms; the preview's
    ``changes`` are what apply reports."""
    community, grids, _ = make_lattice(session, valid_from=PAST)
    make_worker(session, code="WA", grids=[grids["G1"]])
    planner = _auth(session, region=community)
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=planner).json()
    url = f"/api/v1/plans/{plan['id']}"
    gaps = [g["seq"] for g in plan["staffing"]["unstaffed"]]
    assert len(gaps) == 5 and len(plan["staffing"]["grids"]) == 6
    refused = client.post(f"{url}/apply", headers=planner)
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    assert all(f"#{seq} (" in refused.json()["detail"] for seq in gaps)
    for i in range(len(gaps)):
        make_worker(session, code=f"WB{i}")
    stale = client.put(f"{url}/workers", headers={**planner, "If-Match": '"9"'},
                       json={"workers": {str(gaps[0]): "WB0"}})
    assert stale.status_code == 412
    unknown = client.put(f"{url}/workers", headers=planner, json={"workers": {"1": "nope"}})
    assert unknown.status_code == 404
    picked = client.put(f"{url}/workers", headers={**planner, "If-Match": '"1"'},
                        json={"workers": {str(s): f"WB{i}" for i, s in enumerate(gaps)}})
    assert picked.status_code == 200 and picked.headers["ETag"] == '"2"'
    assert picked.json()["staffing"]["unstaffed"] == []
    preview = picked.json()["changes"]
    assert preview["buildings_reassigned"] == 50 and len(preview["grids_retired"]) == 4
    assert picked.json()["metrics"]["buildings_moved"] == 50
    viewer = _auth(session, role="viewer")
    assert client.put(f"{url}/workers", headers=viewer,
                      json={"workers": {}}).status_code == 403
    applied = client.post(f"{url}/apply", headers={**planner, "If-Match": '"2"'})
    assert applied.status_code == 200, applied.text
    assert applied.json()["changes"] == preview and applied.json()["unstaffed"] == []
    assert client.get(url, headers=planner).json()["changes"] == preview


def test_worker_candidates_are_the_communitys_workers_with_their_proposed_grids(
        client: TestClient, session: Session) -> None:
    """GET …/worker-candidates: the workers of the plan's community (free ones first) with
    the new grids the proposal gives each; planners of the plan's region only."""
    community, grids, _ = make_lattice(session, valid_from=PAST)
    make_worker(session, code="WA", name="甲", grids=[grids["G1"]])
    make_worker(session, code="WB", name="乙", grids=[grids["G2"]])
    _, elsewhere, _ = make_lattice(session, code="320706913002", north=0.05, prefix="M")
    make_worker(session, code="WX", grids=[elsewhere["G1"]])
    planner = _auth(session, region=community)
    plan = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                       headers=planner).json()
    url = f"/api/v1/plans/{plan['id']}/worker-candidates"
    res = client.get(url, headers=planner)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["plan_id"] == plan["id"]
    assert [w["worker_code"] for w in body["workers"]] == ["WA", "WB"]
    proposed = {w["worker_code"]: [g["seq"]] for g in plan["staffing"]["grids"]
                for w in g["workers"]}
    assert {w["worker_code"]: w["seqs"] for w in body["workers"]} == proposed
    assert all(w["community_code"] == community and w["worker_name"] for w in body["workers"])
    gap = plan["staffing"]["unstaffed"][0]["seq"]
    picked = client.put(f"/api/v1/plans/{plan['id']}/workers", json={"workers": {
        str(gap): "WA"}}, headers={**planner, "If-Match": '"1"'})
    assert picked.status_code == 200, picked.text
    after = {w["worker_code"]: w["seqs"] for w in client.get(url, headers=planner)
             .json()["workers"]}
    assert after["WA"] == [gap]
    assert client.get(url, headers=_auth(session, role="viewer")).status_code == 403
    assert client.get(url, headers=_auth(session, region="320706913002")).status_code == 404
