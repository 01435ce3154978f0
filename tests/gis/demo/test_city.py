"""The generated city (`gridmap demo --scale city`): deterministic subdistricts with their own
codes and names, counts that scale with the number of subdistricts, and a small city loaded
through the command line checked in PostGIS (hierarchy, every building in a grid)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app
from gis.core.errors import Conflict
from gis.core.settings import Settings
from gis.demo import city, cityload
from tests import dbs
from tests.gis.demo.test_demo import fingerprint

EVENTS = 3_000


def test_plan_names_and_codes_unique_and_tiles_apart() -> None:
    tiles = city.plan(city.SUBDISTRICTS, 42)
    assert len({t.code for t in tiles}) == len({t.name for t in tiles}) == 120
    assert len({t.district_code for t in tiles}) == len(city.DISTRICTS)
    streets = [v for t in tiles for k, v in t.renames.items() if k.endswith(("路", "大街", "大道"))]
    assert len(streets) == len(set(streets)) == 120 * 15
    communities = [v for t in tiles for v in t.renames.values() if v.endswith("社区")]
    assert len(set(communities)) == 120 * 6
    offsets = np.array([t.offset for t in tiles])
    assert len(np.unique(offsets, axis=0)) == 120
    with pytest.raises(ValueError):
        city.plan(121, 42)


def test_same_seed_same_subdistrict_other_seed_differs() -> None:
    tile = city.plan(2, 42)[1]
    first = city.subdistrict(tile, seed=42, events=200)
    assert fingerprint(city.subdistrict(tile, seed=42, events=200)) == fingerprint(first)
    assert fingerprint(city.subdistrict(tile, seed=7, events=200)) != fingerprint(first)
    assert city.events_per_tile(EVENTS, 7).sum() == EVENTS


def test_subdistrict_carries_its_own_codes_and_names() -> None:
    tile = city.plan(30, 42)[25]  # in the second district (连云区, 320703)
    data = city.subdistrict(tile, seed=42, events=300)
    assert tile.code.startswith("320703") and tile.code.endswith("000")
    prefix = tile.code[:9]
    for frame, column in ((data.buildings, "code"), (data.grids, "community_code"),
                          (data.households, "code"), (data.residents, "code")):
        assert frame[column].str.startswith(prefix).all(), column
    assert data.events["code"].str.startswith(f"E{prefix}").all()
    assert (data.events["region_code"] == tile.code).all()
    assert data.residents["id_number"].str.startswith("320703").all()
    assert not data.buildings["address"].str.contains("海连路|解放路").any()
    assert data.facilities["name"].str.contains(tile.name).any()
    levels = data.regions.set_index("code")["level"]
    assert levels[tile.code] == "subdistrict" and (levels == "community").sum() == 6
    assert data.events["reported_at"].min() >= city.PERIOD[0]
    assert len(data.events) == 300


@pytest.fixture(scope="module")
def city_engine(base_settings: Settings) -> Iterator[Engine]:
    """A city of two subdistricts loaded through `gridmap demo --scale city`."""
    eng = dbs.migrated_database(base_settings, "city")
    with pytest.MonkeyPatch.context() as mp, dbs.cli_pointed_at(eng, base_settings, mp):
        result = CliRunner().invoke(app, ["demo", "--scale", "city", "--subdistricts", "2",
                                          "--events", str(EVENTS)])
    assert result.exit_code == 0, result.output
    assert "2 subdistricts" in result.output
    yield eng
    dbs.drop_database(base_settings, eng)


def test_counts_scale_with_the_subdistricts(city_engine: Engine) -> None:
    with Session(city_engine) as session:
        s = cityload.summary(session)
    assert (s["districts"], s["subdistricts"], s["communities"]) == (1, 2, 12)
    assert 2 * 2000 <= s["buildings"] <= 2 * 3000
    assert 2 * 8500 <= s["households"] <= 2 * 9500
    assert 2 * 20_000 <= s["residents"] <= 2 * 24_000
    assert s["unified_grids"] >= 2 * 40 and s["events"] == EVENTS
    assert s["road_edges"] > 2 * 500 and s["facilities"] >= 2 * 30


def test_codes_unique_and_every_building_in_a_grid(city_engine: Engine) -> None:
    with Session(city_engine) as session:
        dup = session.execute(text(
            "SELECT (SELECT count(*) - count(DISTINCT code) FROM building)"
            " + (SELECT count(*) - count(DISTINCT code) FROM grid)"
            " + (SELECT count(*) - count(DISTINCT code) FROM event)"
            " + (SELECT count(*) - count(DISTINCT code) FROM facility)"
            " + (SELECT count(*) - count(DISTINCT code) FROM resident)")).scalar_one()
        assert dup == 0
        assert cityload.summary(session)["buildings_without_grid"] == 0
        wrong = session.execute(text(
            "SELECT count(*) FROM building b JOIN grid g ON g.id = b.grid_id "
            "WHERE g.community_code <> b.community_code")).scalar_one()
        assert wrong == 0
        located = session.execute(text(
            "SELECT count(*) FILTER (WHERE grid_id IS NOT NULL)::float / count(*) FROM event "
            "WHERE geom IS NOT NULL")).scalar_one()
        assert located > 0.98


def test_region_hierarchy_district_subdistricts_communities(city_engine: Engine) -> None:
    with Session(city_engine) as session:
        bad = session.execute(text("""
            SELECT count(*) FROM region c LEFT JOIN region p ON p.code = c.parent_code
            WHERE (c.level = 'community' AND p.level IS DISTINCT FROM 'subdistrict')
               OR (c.level = 'subdistrict' AND p.level IS DISTINCT FROM 'district')
               OR (c.level = 'district' AND c.parent_code IS NOT NULL)
               OR (p.code IS NOT NULL AND NOT ST_Within(c.geom, ST_Buffer(p.geom, 0.00001)))
               OR NOT ST_IsValid(c.geom)""")).scalar_one()
        assert bad == 0
        overlap = session.execute(text(
            "SELECT count(*) FROM region a JOIN region b ON a.code < b.code "
            "AND a.level = 'subdistrict' AND b.level = 'subdistrict' "
            "AND ST_Intersects(a.geom, b.geom)")).scalar_one()
        assert overlap == 0


def test_city_loads_into_an_empty_database_only(city_engine: Engine) -> None:
    with pytest.raises(Conflict, match="empty database"):
        cityload.load_city(city_engine, subdistricts=1, events=10)
