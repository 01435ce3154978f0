"""A cached tile answered with no database round trip (api.routes.tiles, gis.tiles.versions):
the app runs on a committed database of its own, and every statement it runs and every
connection it takes from its pool is counted on its engine."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from fastapi.testclient import TestClient
from shapely import Point
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys, keywatch
from gis.core.settings import Settings
from gis.tiles import versions
from tests import dbs
from tests.api.test_tile_cache import EVENT_TILE, features, key_for
from tests.api.test_tiles import SCENE_TILE, url
from tests.builders import make_event
from tests.gis.tiles.test_versions import WAIT_S, eventually, raw_write
from tests.layers.scene import BIG, COMMUNITY, make_scene


@pytest.fixture(scope="module")
def committed(base_settings: Settings) -> Iterator[Engine]:
    """A database holding the scene and one open event, committed."""
    eng = dbs.migrated_database(base_settings, "tilewarm")
    with Session(eng) as session, session.begin():
        make_scene(session)
        make_event(session, code="E-WARM", community_code=COMMUNITY,
                   geom=Point(119.2061, 34.6151))
    yield eng
    dbs.drop_database(base_settings, eng)


class Trips:
    """The app's database round trips: statements run, connections taken from its pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []
        self.checkouts = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, *args: object) -> None:
        self.statements.append(str(args[2]))

    def _checkout(self, *_: object) -> None:
        self.checkouts += 1

    def reset(self) -> None:
        self.statements.clear()
        self.checkouts = 0

    def versions_read(self) -> int:
        return sum("FROM tile_version" in s for s in self.statements)


@pytest.fixture
def warm(committed: Engine, base_settings: Settings) -> Iterator[tuple[TestClient, Trips]]:
    """The app, its listener connected."""
    app = create_app(dbs.settings_for(committed, base_settings))
    with TestClient(app) as client:
        engine = app.state.engine
        versions.watch(engine)
        eventually(lambda: versions.current(engine))
        eventually(lambda: keywatch.watch(engine).epoch() is not None)
        yield client, Trips(engine)


def grid_households(body: bytes) -> int:
    return {f["properties"]["code"]: f["properties"]["households"]
            for f in features(body, "grids")}[BIG]


def test_a_warm_anonymous_tile_makes_no_round_trip(warm) -> None:
    client, trips = warm
    cold = client.get(url("grids", *SCENE_TILE))
    assert cold.status_code == 200 and trips.checkouts >= 1
    trips.reset()
    again = client.get(url("grids", *SCENE_TILE))
    held = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": cold.headers["ETag"]})
    assert again.status_code == 200 and again.content == cold.content
    assert again.headers["ETag"] == cold.headers["ETag"]
    assert held.status_code == 304 and held.headers["ETag"] == cold.headers["ETag"]
    assert trips.statements == [] and trips.checkouts == 0


def test_a_warm_keyed_tile_makes_no_round_trip_once_its_key_is_held(
        warm, committed: Engine) -> None:
    client, trips = warm
    key = key_for(committed)
    auth = {"Authorization": f"Bearer {key}"}
    cold = client.get(url("events", *EVENT_TILE), headers=auth)
    assert "E-WARM" in {f["properties"]["code"] for f in features(cold.content, "events")}
    trips.reset()
    checks = client.app.state.key_checks
    before = checks.statements
    again = client.get(url("events", *EVENT_TILE), headers=auth)
    assert again.status_code == 200 and again.content == cold.content
    assert trips.checkouts == 0 and trips.statements == []
    assert checks.statements == before  # the key held since the cold tile's check
    assert client.get(url("grids", *SCENE_TILE), headers=auth).status_code == 200
    assert client.get(url("grids", *SCENE_TILE)).status_code == 200  # held for everyone
    with Session(committed) as session, session.begin():
        keys.revoke_key(session, key)
    assert client.get(url("events", *EVENT_TILE), headers=auth).status_code == 401
    assert client.get(url("grids", *SCENE_TILE), headers=auth).status_code == 401
    held = client.get(url("events", *EVENT_TILE),
                      headers={**auth, "If-None-Match": cold.headers["ETag"]})
    assert held.status_code == 401  # no 304 either for a revoked key


def test_a_write_of_another_process_reaches_the_tile_within_the_notify_delay(
        warm, committed: Engine) -> None:
    client, trips = warm
    first = client.get(url("grids", *SCENE_TILE))
    tag = first.headers["ETag"]
    raw_write(committed, "UPDATE building SET households = households + 7 WHERE code = 'B-N1'")

    def changed():
        answer = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": tag})
        return answer if answer.status_code == 200 else None

    after = eventually(changed, WAIT_S)
    assert after.headers["ETag"] != tag
    assert grid_households(after.content) == grid_households(first.content) + 7
    trips.reset()
    assert client.get(url("grids", *SCENE_TILE)).content == after.content
    assert trips.statements == []  # the new tile is the cached one now


def test_a_write_of_this_process_reaches_its_next_request(warm, committed: Engine) -> None:
    client, _ = warm
    first = client.get(url("grids", *SCENE_TILE))
    with committed.begin() as conn:
        conn.exec_driver_sql("UPDATE building SET households = households + 3 "
                             "WHERE code = 'B-N1'")
    after = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match":
                                                            first.headers["ETag"]})
    assert after.status_code == 200
    assert grid_households(after.content) == grid_households(first.content) + 3


def test_versions_read_from_the_database_while_the_listener_is_down(
        warm, committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    client, trips = warm
    engine = trips.engine
    up = client.get(url("grids", *SCENE_TILE))
    monkeypatch.setattr(versions, "RETRY_S", 2.0)
    raw_write(committed, f"SELECT pg_terminate_backend({versions.watch(engine).pid})")
    eventually(lambda: versions.current(engine) is None, 2.0)
    trips.reset()
    down = client.get(url("grids", *SCENE_TILE))
    held = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": up.headers["ETag"]})
    assert down.content == up.content and down.headers["ETag"] == up.headers["ETag"]
    assert held.status_code == 304
    assert trips.versions_read() == 2  # each request asked the database
    eventually(lambda: versions.current(engine))
    trips.reset()
    assert client.get(url("grids", *SCENE_TILE)).headers["ETag"] == up.headers["ETag"]
    assert trips.statements == []


def test_the_notice_goes_to_gridmap_connections_only(committed: Engine) -> None:
    dsn = committed.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg2.connect(dsn)  # psql, tipg or QGIS: never a notice
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE grid SET id = id WHERE false")
        assert conn.notices == []
    finally:
        conn.close()


@pytest.fixture
def strict(committed: Engine, base_settings: Settings) -> Iterator[tuple[TestClient, Trips]]:
    """The app with two wrong keys a minute allowed per address and one CORS origin."""
    settings = dbs.settings_for(committed, base_settings).model_copy(update={
        "rate_limit_wrong_keys": "2/minute", "cors_origins": ["http://maps.example"]})
    app = create_app(settings)
    with TestClient(app) as client:
        eventually(lambda: versions.current(app.state.engine))
        eventually(lambda: keywatch.watch(app.state.engine).epoch() is not None)
        yield client, Trips(app.state.engine)


def test_a_key_in_the_url_is_checked_once_then_held(strict, committed: Engine) -> None:
    client, trips = strict
    key = key_for(committed)
    cold = client.get(url("events", *EVENT_TILE) + f"?key={key}")
    assert cold.status_code == 200
    trips.reset()
    before = client.app.state.key_checks.statements
    assert client.get(url("events", *EVENT_TILE) + f"?key={key}").content == cold.content
    assert trips.statements == [] and client.app.state.key_checks.statements == before
    wrong = url("events", *EVENT_TILE) + "?key=gm_0123abcd_wrong"
    # counted once each (before routing, its outcome left to the route): 2 wrong, then 429
    assert [client.get(wrong).status_code for _ in range(3)] == [401, 401, 429]


def test_other_parameters_go_to_the_route_and_cors_holds(strict) -> None:
    client, trips = strict
    origin = {"Origin": "http://maps.example"}
    cold = client.get(url("grids", *SCENE_TILE), headers=origin)
    trips.reset()
    warm = client.get(url("grids", *SCENE_TILE), headers=origin)
    assert warm.headers["access-control-allow-origin"] == "http://maps.example"
    assert warm.content == cold.content and trips.statements == []
    busted = client.get(url("grids", *SCENE_TILE) + "?v=2", headers=origin)
    assert busted.content == cold.content and busted.headers["ETag"] == cold.headers["ETag"]
    assert trips.statements == []  # the route answers from this process's memory too
    assert client.get(url("grids", 23, 0, 0)).status_code == 422  # outside the pyramid
