"""Plans under concurrency, over real HTTP: two requests at once (threads released together
by a barrier), each on its own database connection from the app's pool, against a throw-away
database whose cases are committed (a rolled-back test session shows no other connection
anything). Each round draws a fresh lattice community (tests/plan_cases.py) or plan."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from tests import dbs
from tests.plan_cases import make_lattice

ROUNDS = 4
_cases = itertools.count()


@pytest.fixture(scope="module")
def race_engine(base_settings: Settings) -> Iterator[Engine]:
    eng = dbs.migrated_database(base_settings, "races")
    yield eng
    dbs.drop_database(base_settings, eng)


@pytest.fixture(scope="module")
def race_client(race_engine: Engine, base_settings: Settings) -> Iterator[TestClient]:
    """The app on the race database with its own sessions (one per request, committed)."""
    with TestClient(create_app(dbs.settings_for(race_engine, base_settings))) as client:
        yield client


def _community(engine: Engine) -> tuple[str, dict]:
    """A committed lattice community of its own (merged G3+G4: a kept grid) and a planner
    key for it."""
    n = next(_cases)
    with Session(engine) as session:
        community, _, _ = make_lattice(session, code=f"32070691{n + 1:04d}", north=0.02 * n,
                                       prefix=f"R{n}x", merged_g3_g4=True)
        key = keys.create_key(session, role="planner", region_code=community)
        session.commit()
    return community, {"Authorization": f"Bearer {key}"}


def _draw(client: TestClient, community: str, planner: dict) -> httpx.Response:
    res = client.post("/api/v1/plans", json={"kind": "balance", "scope": community},
                      headers=planner)
    assert res.status_code == 201, res.text
    assert res.headers["ETag"] == f'"{res.json()["version"]}"' == '"1"'
    return res


def _together(client: TestClient, *posts: tuple[str, dict, dict | None]
              ) -> list[httpx.Response]:
    """POST each (url, headers, json) of ``posts`` from its own thread, the threads released
    at the same moment; the answers in order."""
    barrier = threading.Barrier(len(posts))

    def run(url: str, headers: dict, body: dict | None) -> httpx.Response:
        barrier.wait()
        return client.post(url, headers=headers, json=body)

    with ThreadPoolExecutor(len(posts)) as pool:
        return [f.result() for f in [pool.submit(run, *p) for p in posts]]


def _split_kept(plan: dict, community_north: float) -> dict:
    """Split the kept grid (merged G3+G4, columns 8-9) between its two columns."""
    kept = next(f["properties"]["seq"] for f in plan["grids"]["features"]
                if f["properties"]["source_grid_id"] is not None)
    return {"op": "split", "seq": kept, "line": {"type": "LineString", "coordinates": [
        [119.218, 34.59 + community_north], [119.218, 34.62 + community_north]]}}


def _merge_new(engine: Engine, plan_id: int) -> dict:
    """Merge two touching new grids of the plan."""
    with engine.connect() as conn:
        a, b = conn.execute(text("""
            SELECT a.seq, b.seq FROM plan_grid a JOIN plan_grid b ON b.plan_id = a.plan_id
                AND b.seq > a.seq AND ST_Intersects(a.geom, b.geom)
                AND ST_Dimension(ST_Intersection(a.geom, b.geom)) = 1
            WHERE a.plan_id = :p AND a.source_grid_id IS NULL AND b.source_grid_id IS NULL
            ORDER BY a.seq, b.seq LIMIT 1"""), {"p": plan_id}).one()
    return {"op": "merge", "seqs": [a, b]}


def _north(community: str) -> float:
    return 0.02 * (int(community[-4:]) - 1)


def test_two_edits_at_once_one_wins_and_the_plan_is_what_it_did(
        race_engine: Engine, race_client: TestClient) -> None:
    community, planner = _community(race_engine)
    for _ in range(ROUNDS):
        plan = _draw(race_client, community, planner)
        url, etag = f"/api/v1/plans/{plan.json()['id']}", plan.headers["ETag"]
        edits = [_split_kept(plan.json(), _north(community)),
                 _merge_new(race_engine, plan.json()["id"])]
        answers = _together(race_client, *[(f"{url}/edits", {**planner, "If-Match": etag}, e)
                                           for e in edits])
        codes = sorted(a.status_code for a in answers)
        assert codes[0] == 200 and codes[1] in (409, 412), [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200)
        loser = next(a for a in answers if a.status_code != 200)
        assert loser.json()["code"] in ("conflict", "precondition_failed")
        assert winner.headers["ETag"] == '"2"'
        stored = race_client.get(url, headers=planner)
        assert stored.headers["ETag"] == '"2"'
        assert stored.json() == winner.json()  # the loser changed nothing


def _applied_as_stored(engine: Engine, plan_id: int) -> int:
    """Buildings of applied plan ``plan_id`` whose current grid is not their proposed grid's
    shape (0 when the grids hold exactly what the stored plan says)."""
    with engine.connect() as conn:
        return conn.execute(text("""
            SELECT count(*) FROM plan_building pb
            JOIN plan_grid pg ON pg.id = pb.plan_grid_id
            JOIN building b ON b.id = pb.building_id
            LEFT JOIN grid g ON g.id = b.grid_id
            WHERE pb.plan_id = :p
              AND NOT (g.valid_to IS NULL AND ST_Equals(g.geom, pg.geom))"""),
            {"p": plan_id}).scalar_one()


def test_an_edit_racing_an_apply_never_changes_the_applied_plan(
        race_engine: Engine, race_client: TestClient) -> None:
    for _ in range(ROUNDS):
        community, planner = _community(race_engine)
        plan = _draw(race_client, community, planner).json()
        url = f"/api/v1/plans/{plan['id']}"
        edit, applied = _together(
            race_client, (f"{url}/edits", planner, _split_kept(plan, _north(community))),
            (f"{url}/apply?confirm_unstaffed=true", planner, None))
        pair = (edit.status_code, applied.status_code)
        assert pair in ((200, 409), (409, 200), (200, 200)), (edit.text, applied.text)
        stored = race_client.get(url, headers=planner).json()
        if applied.status_code == 200:
            assert stored["status"] == "applied"
            assert _applied_as_stored(race_engine, plan["id"]) == 0
        else:
            assert stored["status"] == "draft" and stored == edit.json()
        assert stored["version"] == 1 + pair.count(200)


def test_two_plans_of_one_community_applied_at_once_one_wins(
        race_engine: Engine, race_client: TestClient) -> None:
    for _ in range(ROUNDS):
        community, planner = _community(race_engine)
        ids = [_draw(race_client, community, planner).json()["id"] for _ in range(2)]
        answers = _together(race_client,
                            *[(f"/api/v1/plans/{i}/apply?confirm_unstaffed=true", planner, None)
                              for i in ids])
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        won = ids[[a.status_code for a in answers].index(200)]
        lost = ids[[a.status_code for a in answers].index(409)]
        assert race_client.get(f"/api/v1/plans/{lost}", headers=planner).json()["status"] \
            == "draft"
        assert _applied_as_stored(race_engine, won) == 0


def test_a_plan_being_written_is_a_409_at_once_and_a_stale_version_a_412(
        race_engine: Engine, race_client: TestClient) -> None:
    community, planner = _community(race_engine)
    plan = _draw(race_client, community, planner).json()
    url = f"/api/v1/plans/{plan['id']}"
    with race_engine.connect() as other:  # another writer holds the plan row
        other.execute(text("SELECT 1 FROM plan WHERE id = :p FOR UPDATE"), {"p": plan["id"]})
        for path in ("edits", "apply", "reject"):
            busy = race_client.post(f"{url}/{path}", headers=planner,
                                    json=_split_kept(plan, _north(community)))
            assert busy.status_code == 409 and "another request" in busy.json()["detail"]
        other.rollback()
    edited = race_client.post(f"{url}/edits", headers={**planner, "If-Match": '"1"'},
                              json=_split_kept(plan, _north(community)))
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    for path in ("edits", "apply", "reject"):
        stale = race_client.post(f"{url}/{path}", headers={**planner, "If-Match": '"1"'},
                                 json=_merge_new(race_engine, plan["id"]))
        assert stale.status_code == 412, stale.text
        assert stale.json()["code"] == "precondition_failed" and "reload" in stale.json()["detail"]
    assert race_client.get(url, headers=planner).json()["version"] == 2
    for bad in ('"x"', '"1", "2"'):
        res = race_client.post(f"{url}/reject", headers={**planner, "If-Match": bad})
        assert res.status_code == 412
    rejected = race_client.post(f"{url}/reject", headers={**planner, "If-Match": '"2"'})
    assert rejected.status_code == 200 and rejected.headers["ETag"] == '"3"'
    assert rejected.json()["status"] == "rejected" and rejected.json()["version"] == 3
    late = race_client.post(f"{url}/apply", headers={**planner, "If-Match": "*"})
    assert late.status_code == 409 and "rejected" in late.json()["detail"]
