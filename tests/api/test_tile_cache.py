"""The tile cache over committed data: the app runs with its own sessions on a database of
its own (a rolled-back test transaction never commits, so it never bumps a version), every
write commits, and the tile SQL the app runs is counted on its engine."""

from __future__ import annotations

from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from shapely import Point
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from api.main import create_app
from gis.access import keys
from gis.core.settings import Settings
from gis.tiles import cache
from tests import dbs
from tests.api.test_tiles import SCENE_TILE, tile_of, url
from tests.builders import make_event, make_region
from tests.layers.scene import BIG, COMMUNITY, make_scene

EVENT_TILE = tile_of(119.206, 34.615, 14)
BUILDING_TILE = tile_of(119.206, 34.613, 16)


@pytest.fixture(scope="module")
def committed(base_settings: Settings) -> Iterator[Engine]:
    """A database holding the scene, committed, and two keys' regions."""
    eng = dbs.migrated_database(base_settings, "tilecache")
    with Session(eng) as session, session.begin():
        make_scene(session)
    yield eng
    dbs.drop_database(base_settings, eng)


class Built:
    """How many tiles the app's engine has built (ST_AsMVT statements run)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        if "ST_AsMVT(" in str(args[2]):
            self.count += 1


@pytest.fixture
def app_client(committed: Engine, base_settings: Settings) -> Iterator[tuple[TestClient, Built]]:
    app = create_app(dbs.settings_for(committed, base_settings))
    with TestClient(app) as client:
        yield client, Built(app.state.engine)


def write(engine: Engine, statement: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement))


def key_for(engine: Engine, role: str = "viewer", region: str | None = COMMUNITY) -> str:
    with Session(engine) as session, session.begin():
        return keys.create_key(session, role=role, region_code=region)


def features(body: bytes, layer: str) -> list[dict]:
    return mapbox_vector_tile.decode(body).get(layer, {}).get("features", [])


def test_a_cached_tile_is_served_identically_without_building_it(app_client) -> None:
    client, built = app_client
    first = client.get(url("grids", *SCENE_TILE))
    assert first.status_code == 200 and built.count == 1
    again = client.get(url("grids", *SCENE_TILE))
    assert built.count == 1  # from the cache
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
    held = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": first.headers["ETag"]})
    assert held.status_code == 304 and built.count == 1


def test_a_building_change_reaches_the_next_grid_tile(app_client, committed: Engine) -> None:
    client, _ = app_client
    first = client.get(url("grids", *SCENE_TILE))
    write(committed, "UPDATE building SET households = households + 7 WHERE code = 'B-N1'")
    after = client.get(url("grids", *SCENE_TILE), headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]
    households = {f["properties"]["code"]: f["properties"]["households"]
                  for f in features(after.content, "grids")}
    before = {f["properties"]["code"]: f["properties"]["households"]
              for f in features(first.content, "grids")}
    assert households[BIG] == before[BIG] + 7


def test_a_grid_change_reaches_the_next_building_tile(app_client, committed: Engine) -> None:
    client, _ = app_client
    auth = {"Authorization": f"Bearer {key_for(committed)}"}
    first = features(client.get(url("buildings", *BUILDING_TILE), headers=auth).content,
                     "buildings")
    assert [f["properties"]["grid_code"] for f in first] == [BIG]
    write(committed, f"UPDATE grid SET code = 'GM-N99' WHERE code = '{BIG}'")
    try:
        after = features(client.get(url("buildings", *BUILDING_TILE), headers=auth).content,
                         "buildings")
        assert [f["properties"]["grid_code"] for f in after] == ["GM-N99"]
    finally:
        write(committed, f"UPDATE grid SET code = '{BIG}' WHERE code = 'GM-N99'")


def test_an_event_closed_or_added_reaches_the_next_event_tile(app_client,
                                                             committed: Engine) -> None:
    client, _ = app_client
    auth = {"Authorization": f"Bearer {key_for(committed)}"}
    with Session(committed) as session, session.begin():
        make_event(session, code="E-CACHE", community_code=COMMUNITY,
                   geom=Point(119.2061, 34.6151))
    codes = {f["properties"]["code"]
             for f in features(client.get(url("events", *EVENT_TILE), headers=auth).content,
                               "events")}
    assert "E-CACHE" in codes
    write(committed, "UPDATE event SET status = 'closed' WHERE code = 'E-CACHE'")
    later = {f["properties"]["code"]
             for f in features(client.get(url("events", *EVENT_TILE), headers=auth).content,
                               "events")}
    assert later == codes - {"E-CACHE"}


def test_anonymous_never_gets_the_keyed_entry(app_client, committed: Engine) -> None:
    client, built = app_client
    auth = {"Authorization": f"Bearer {key_for(committed)}"}
    keyed = client.get(url("buildings", *BUILDING_TILE), headers=auth)
    assert features(keyed.content, "buildings")[0]["properties"]["households"] > 0
    anonymous = client.get(url("buildings", *BUILDING_TILE))
    assert anonymous.status_code == 200 and built.count == 2  # built for its own class
    assert all(not f["properties"] for f in features(anonymous.content, "buildings"))
    assert anonymous.headers["ETag"] != keyed.headers["ETag"]
    # the keyed tag names another entry: an anonymous If-None-Match with it is no 304
    assert client.get(url("buildings", *BUILDING_TILE),
                      headers={"If-None-Match": keyed.headers["ETag"]}).status_code == 200
    assert client.get(url("events", *EVENT_TILE)).status_code == 401


def test_another_region_never_gets_this_regions_entry(app_client, committed: Engine) -> None:
    client, _ = app_client
    with Session(committed) as session, session.begin():
        make_event(session, community_code=COMMUNITY, geom=Point(119.2062, 34.6152))
    mine = {"Authorization": f"Bearer {key_for(committed)}"}
    assert features(client.get(url("events", *EVENT_TILE), headers=mine).content, "events")
    with Session(committed) as session, session.begin():
        make_region(session, code="320706013009")
    other = {"Authorization": f"Bearer {key_for(committed, region='320706013009')}"}
    assert client.get(url("events", *EVENT_TILE), headers=other).status_code == 204
    outside = client.get(url("buildings", *BUILDING_TILE), headers=other)
    assert all(not f["properties"] for f in features(outside.content, "buildings"))


def test_a_revoked_key_gets_no_cached_tile(app_client, committed: Engine) -> None:
    client, _ = app_client
    with Session(committed) as session, session.begin():
        make_event(session, community_code=COMMUNITY, geom=Point(119.2063, 34.6153))
    key = key_for(committed)
    auth = {"Authorization": f"Bearer {key}"}
    assert client.get(url("events", *EVENT_TILE), headers=auth).status_code == 200
    with Session(committed) as session, session.begin():
        keys.revoke_key(session, key)
    assert client.get(url("events", *EVENT_TILE), headers=auth).status_code == 401
    assert client.get(url("buildings", *BUILDING_TILE), headers=auth).status_code == 401


def test_no_cache_inside_a_writing_transaction(committed: Engine) -> None:
    """A tile read in the transaction that wrote its data is built and not kept: it may be
    rolled back."""
    from gis.access.callers import Caller
    from gis.tiles import mvt

    cache.clear()
    with Session(committed) as session:
        session.execute(text("UPDATE building SET households = 999 WHERE code = 'B-N1'"))
        tile = mvt.get_tile(session, Caller(role="admin"), "grids", *SCENE_TILE)
        assert tile.body and 999 in {f["properties"]["households"]
                                     for f in features(tile.body, "grids")}
        session.rollback()
    assert cache.stats()["tiles"] == 0


def versions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT versions FROM tile_version")).scalar_one())


def test_versions_move_at_commit_for_the_tables_written_only(committed: Engine) -> None:
    before = versions(committed)
    with committed.begin() as conn:
        conn.execute(text("UPDATE building SET floors = floors WHERE code = 'B-N1'"))
        conn.execute(text("UPDATE building SET floors = floors WHERE code = 'B-S1'"))
        conn.execute(text("UPDATE event SET priority = priority"))
        assert versions(committed) == before  # not before the commit
    after = versions(committed)
    assert {t for t in after if after[t] != before[t]} == {"building", "event"}
    assert after["building"] > before["building"] and after["event"] > before["event"]
    with committed.connect() as conn:
        conn.execute(text("UPDATE grid SET name = name"))
        conn.rollback()
    assert versions(committed) == after  # a rolled-back write moves nothing
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tile_touch")).scalar_one() == 0


def test_circle_budget_is_the_circles_default() -> None:
    from gis.network import circles
    from gis.tiles import mvt

    assert (mvt.CIRCLE_MINUTES, mvt.CIRCLE_SPEED) == (circles.DEFAULT_MINUTES,
                                                      circles.DEFAULT_SPEED)


def test_tiles_are_cached_gzipped_and_served_plain_to_who_wants_plain(app_client) -> None:
    client, built = app_client
    zipped = client.get(url("grids", *SCENE_TILE), headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    plain = client.get(url("grids", *SCENE_TILE), headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and built.count == 1
    assert plain.content == zipped.content  # httpx decoded the gzipped one
    assert features(plain.content, "grids")


def test_every_table_a_tile_layer_reads_is_watched(committed: Engine) -> None:
    """A table a layer reads without the statement trigger (e.g. recreated by a later
    migration without ``gm_tile_watch``) would keep its version and serve stale tiles."""
    from gis.tiles import mvt

    read = {source for spec in mvt.TILE_LAYERS.values() for source in spec.sources}
    with committed.connect() as conn:
        watched = set(conn.execute(text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'tile_touch'")).scalars())
        versions = dict(conn.execute(text("SELECT versions FROM tile_version")).scalar_one())
    assert read <= watched and read <= set(versions)
    assert all(spec.sources for spec in mvt.TILE_LAYERS.values())
