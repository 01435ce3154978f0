"""The demo district: deterministic pure generators, plausible figures, clean geometry, and
the loaded database (network, river, grids, events) checked with PostGIS and pgRouting."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from gis import demo
from gis.core.errors import Conflict
from gis.demo import buildings, layout, load, names, people


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate(42)


def fingerprint(d: object) -> str:
    """Hash of every table's rows (geometry as WKB)."""
    digest = hashlib.sha256()
    for name, frame in vars(d).items():
        digest.update(name.encode())
        plain = frame.drop(columns=[c for c in ("geometry", "entrance") if c in frame])
        digest.update(pd.util.hash_pandas_object(plain, index=False).to_numpy().tobytes())
        for col in ("geometry", "entrance"):
            if col in frame:
                digest.update(b"".join(g or b"" for g in shapely.to_wkb(np.asarray(frame[col]))))
    return digest.hexdigest()


def _buildings(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    plan = layout.make_layout(rng, slot=buildings.SLOT)
    gates = buildings.compounds(rng, plan.cells, plan.streets)
    frame = buildings.make_buildings(rng, plan.cells, gates)
    return b"".join(shapely.to_wkb(np.asarray(frame.geometry))) + "".join(
        frame["address"]).encode()


def test_same_seed_same_data_other_seed_differs(data: demo.DemoData) -> None:
    assert fingerprint(demo.generate(42)) == fingerprint(data)
    assert _buildings(7) != _buildings(42)


def test_counts_in_the_stated_ranges(data: demo.DemoData) -> None:
    assert list(data.regions["level"]) == ["district", "subdistrict", *["community"] * 6]
    assert 2000 <= len(data.buildings) <= 3000
    assert data.buildings["compound"].nunique() >= 35
    assert 22_000 <= data.buildings["households"].sum() <= 28_000
    assert len(data.households) == data.buildings["households"].sum()
    assert 54_000 <= len(data.residents) <= 66_000
    assert len(data.residents) == data.buildings["residents"].sum()
    unified = data.grids[data.grids["theme"] == "unified"]
    assert 50 <= len(unified) <= 70
    assert set(unified["kind"]) == {"residential", "commercial", "special"}
    assert set(data.grids["theme"]) == {"unified", "party", "security", "civil", "urban"}
    assert len(data.events) == 20_000


def test_people_look_real(data: demo.DemoData) -> None:
    r = data.residents
    ids = r["id_number"].to_numpy().astype(str)
    digits = np.frombuffer(ids.astype("S18").tobytes(), dtype=np.uint8).reshape(-1, 18)
    assert (digits[:, :6] == np.frombuffer(b"320706", dtype=np.uint8)).all()
    check = people.id_check_digit(digits[:, :17].astype(int) - 48)
    assert (check == digits[:, 17].view("S1").astype(str)).all()
    male_by_id = (digits[:, 16] - 48) % 2 == 1
    assert (male_by_id == (r["gender"] == "M").to_numpy()).all()
    assert r["phone"].dropna().str.fullmatch(r"1[3-9]\d{9}").all()
    assert (r.groupby("household")["relation"].first() == "户主").all()
    cats = r["categories"]
    share = {c: cats.str.contains(c).mean() for c in ("floating", "party_member", "disabled",
                                                       "low_income", "elderly_alone")}
    assert 0.05 < share["floating"] < 0.15 and 0.04 < share["party_member"] < 0.1
    assert 0.005 < share["disabled"] < 0.05 and 0.002 < share["elderly_alone"] < 0.05
    assert data.buildings["address"].str.fullmatch(r"\w+?(路|街|大街|大道)\d+号\d+栋").all()


def test_every_geometry_valid_and_inside_its_community(data: demo.DemoData) -> None:
    for frame in (data.regions, data.water, data.grids, data.buildings, data.edges,
                  data.facilities):
        assert shapely.is_valid(np.asarray(frame.geometry)).all()
    community = data.regions[data.regions["level"] == "community"].set_index("code")
    for name in ("buildings", "grids"):
        frame = getattr(data, name)
        area = np.asarray(community.geometry.reindex(frame["community_code"]))
        assert shapely.covered_by(np.asarray(frame.geometry), shapely.buffer(area, 1e-7)).all()
    district = data.regions.geometry.iloc[0]
    assert district.contains(data.regions.geometry.iloc[1])


def test_buildings_clear_of_each_other_streets_and_river(demo_session: Session) -> None:
    overlaps = demo_session.execute(text("""
        SELECT (SELECT count(*) FROM building a JOIN building b
                  ON a.id < b.id AND ST_Intersects(a.geom, b.geom)),
               (SELECT count(*) FROM building b JOIN road_edge e ON ST_Intersects(b.geom, e.geom)),
               (SELECT count(*) FROM building b JOIN water_area w
                  ON ST_Intersects(b.geom, w.geom))""")).one()
    assert tuple(overlaps) == (0, 0, 0)


def test_network_connected_and_crosses_river_only_on_two_bridges(
        demo_session: Session) -> None:
    components = demo_session.execute(text("""
        SELECT count(DISTINCT component) FROM pgr_connectedComponents(
            'SELECT id, source, target, cost, reverse_cost FROM road_edge')""")).scalar_one()
    assert components == 1
    crossing = demo_session.execute(text("""
        SELECT e.kind, e.name FROM road_edge e JOIN water_area w
            ON ST_Intersects(e.geom, w.geom) ORDER BY e.name""")).all()
    assert [tuple(r) for r in crossing] == [("bridge", n) for n in sorted(names.BRIDGE_NAMES)]
    worst = demo_session.execute(text("""
        SELECT max(abs(length_m - ST_Length(geom::geography)) / length_m),
               bool_and(cost = length_m AND reverse_cost = length_m),
               count(*) FILTER (WHERE source = target)
        FROM road_edge""")).one()
    assert worst[0] < 0.005 and worst[1] and worst[2] == 0


def test_unified_grids_too_big_and_too_small(demo_session: Session) -> None:
    load_ = demo_session.execute(text("""
        SELECT g.kind, COALESCE(sum(b.households), 0) AS households
        FROM grid g LEFT JOIN building b ON b.grid_id = g.id
        WHERE g.theme = 'unified' GROUP BY g.id, g.kind""")).all()
    residential = [hh for kind, hh in load_ if kind == "residential"]
    assert sum(hh > 500 for hh in residential) >= 3
    assert sum(hh < 300 for hh in residential) >= 3
    assert sum(300 <= hh <= 500 for hh in residential) > len(residential) / 2


def test_thematic_layers_disagree_with_unified_and_each_other(demo_session: Session) -> None:
    """Best intersection-over-union of each grid with any grid of the other layer is low."""
    rows = demo_session.execute(text("""
        WITH pairs AS (
            SELECT a.theme AS a, b.theme AS b, a.id,
                   max(ST_Area(ST_Intersection(a.geom, b.geom))
                       / ST_Area(ST_Union(a.geom, b.geom))) AS iou
            FROM grid a JOIN grid b ON ST_Intersects(a.geom, b.geom)
            WHERE (a.theme, b.theme) IN (('party', 'unified'), ('security', 'unified'),
                                         ('civil', 'unified'), ('party', 'security'))
            GROUP BY 1, 2, 3)
        SELECT a, b, avg(iou) FROM pairs GROUP BY 1, 2""")).all()
    assert len(rows) == 4
    assert all(mean_iou < 0.6 for _, _, mean_iou in rows), rows
    outside = demo_session.execute(text("""
        SELECT count(*) FROM grid g JOIN region c ON c.code = g.community_code
        WHERE NOT ST_CoveredBy(g.geom, ST_Buffer(c.geom, 1e-7))""")).scalar_one()
    assert outside == 0


def test_buildings_and_workers_linked_to_grids(demo_session: Session) -> None:
    row = demo_session.execute(text("""
        SELECT (SELECT count(*) FROM building WHERE grid_id IS NULL OR community_code IS NULL),
               (SELECT count(*) FROM building b JOIN grid g ON g.id = b.grid_id
                 WHERE g.community_code <> b.community_code),
               (SELECT count(*) FROM grid g WHERE g.theme = 'unified' AND (
                 SELECT count(*) FROM grid_worker_grid l JOIN grid_worker w ON w.id = l.worker_id
                 WHERE l.grid_id = g.id AND l.is_primary AND w.role = 'full_time') <> 1),
               (SELECT count(*) FROM grid_worker WHERE role = 'part_time'),
               (SELECT count(*) FROM grid_worker WHERE phone IS NULL
                  OR supervision_phone IS NULL OR duties IS NULL)""")).one()
    assert (row[0], row[1], row[2], row[4]) == (0, 0, 0, 0) and row[3] > 5


def test_facilities_and_entrances(demo_session: Session) -> None:
    kinds = dict(demo_session.execute(text("""
        SELECT type || '/' || level, count(*) FROM facility GROUP BY 1""")).all())
    assert kinds["party_center/subdistrict"] == 1 and kinds["party_center/community"] == 6
    assert kinds["party_center/compound"] >= 5
    for t in ("clinic", "elderly_care", "school", "kindergarten", "shelter",
              "emergency_supply", "police_post"):
        assert any(k.startswith(t + "/") for k in kinds), t
    far = demo_session.execute(text("""
        SELECT count(*) FROM facility f WHERE NOT EXISTS (
            SELECT 1 FROM road_edge e WHERE ST_DWithin(e.geom, f.entrance, 0.00001))
        """)).scalar_one()
    assert far == 0


def test_events_mix_and_assignment(demo_session: Session) -> None:
    channels = dict(demo_session.execute(text(
        "SELECT channel, count(*) FROM event GROUP BY 1")).all())
    assert set(channels) == {"12345", "patrol", "resident_app", "city_management"}
    assert all(1000 < n < 10_000 for n in channels.values())
    row = demo_session.execute(text("""
        SELECT count(*) FILTER (WHERE geom IS NULL AND status = 'needs_location'
                                AND address IS NOT NULL),
               count(*) FILTER (WHERE source_crs = 'gcj02' AND geom IS NOT NULL),
               count(*) FILTER (WHERE geom IS NOT NULL AND grid_id IS NULL),
               count(*) FILTER (WHERE status = 'closed'),
               count(*) FILTER (WHERE status NOT IN ('closed', 'verified', 'needs_location')
                                AND due_at < '2026-11-01'),
               count(*) FILTER (WHERE grid_id IS NOT NULL AND worker_id IS NULL)
        FROM event""")).one()
    address_only, gcj, unassigned, closed, overdue, no_worker = row
    assert address_only > 200 and gcj > 500 and closed > 14_000 and overdue > 100
    assert 40 <= unassigned <= 200 and no_worker == 0
    wrong = demo_session.execute(text("""
        SELECT count(*) FROM event e
        LEFT JOIN grid g ON g.id = e.grid_id
        LEFT JOIN region d ON d.code = :district
        WHERE e.geom IS NOT NULL AND (
            (e.grid_id IS NULL AND ST_Covers(d.geom, e.geom))
            OR (e.grid_id IS NOT NULL AND NOT ST_Covers(g.geom, e.geom))
            OR (e.grid_id IS NOT NULL AND e.subdistrict_code <> :sub))"""),
        {"district": names.DISTRICT_CODE, "sub": names.SUBDISTRICT_CODE}).scalar_one()
    assert wrong == 0


def test_address_only_events_match_a_building(demo_session: Session) -> None:
    """Variants (全角 digits, 幢, 号楼, city prefix) still find their building by trigrams."""
    unmatched = demo_session.execute(text("""
        SELECT count(*) FROM (SELECT address FROM event WHERE geom IS NULL LIMIT 100) e
        WHERE NOT EXISTS (SELECT 1 FROM building b
            WHERE translate(replace(replace(replace(e.address, '连云港市海州区', ''),
                                            '号楼', '栋'), '幢', '栋'),
                            '０１２３４５６７８９', '0123456789') = b.address)""")).scalar_one()
    assert unmatched == 0
    variants = demo_session.execute(text("""
        SELECT count(*) FILTER (WHERE address ~ '[０-９]'), count(*) FILTER (WHERE address ~ '幢')
        FROM event WHERE geom IS NULL""")).one()
    assert min(variants) > 10


def test_demo_rows_recognised_and_removable(demo_session: Session) -> None:
    assert load.is_loaded(demo_session) and load.other_rows(demo_session) == 0
    figures = load.summary(demo_session)
    assert 4.5 < float(figures["area_km2"]) < 6 and figures["communities"] == 6
    demo_session.execute(text(
        "INSERT INTO region (code, name, level, geom) VALUES ('320707000000', '赣榆区', "
        "'district', ST_Multi(ST_MakeEnvelope(119, 34.8, 119.1, 34.9, 4490)))"))
    assert load.other_rows(demo_session) == 1
    load.delete_demo(demo_session)
    assert not load.is_loaded(demo_session)
    left = demo_session.execute(text("""
        SELECT (SELECT count(*) FROM building) + (SELECT count(*) FROM grid)
             + (SELECT count(*) FROM event) + (SELECT count(*) FROM road_edge)
             + (SELECT count(*) FROM road_node) + (SELECT count(*) FROM water_area)
             + (SELECT count(*) FROM facility) + (SELECT count(*) FROM grid_worker)
             + (SELECT count(*) FROM region)""")).scalar_one()
    assert left == 1  # the foreign district only


def test_event_log_tells_each_events_history(demo_session: Session) -> None:
    """The log starts at reported (or needs_location), runs forward in time, ends at the
    event's status, and closed events close when the log says so."""
    bad = demo_session.execute(text("""
        WITH ordered AS (
            SELECT l.*, lag(l.to_status) OVER w AS previous, lag(l.at) OVER w AS previous_at,
                   row_number() OVER w AS n, count(*) OVER (PARTITION BY l.event_id) AS total
            FROM event_log l WINDOW w AS (PARTITION BY l.event_id ORDER BY l.at, l.id))
        SELECT count(*) FILTER (WHERE n = 1 AND (from_status IS NOT NULL
                                OR to_status NOT IN ('reported', 'needs_location'))),
               count(*) FILTER (WHERE n > 1 AND (from_status IS DISTINCT FROM previous
                                                 OR at < previous_at)),
               count(*) FILTER (WHERE n = total AND to_status <> (
                   SELECT status FROM event e WHERE e.id = o.event_id)),
               count(DISTINCT event_id)
        FROM ordered o""")).one()
    assert tuple(bad) == (0, 0, 0, 20_000)


def test_loading_twice_is_refused(demo_engine: Engine) -> None:
    with pytest.raises(Conflict, match="already loaded"):
        demo.load_demo(demo_engine, seed=42)


def test_demo_grids_are_in_force_for_the_whole_event_period(demo_session) -> None:
    from gis.grids import assign

    first = demo_session.execute(text("SELECT min(reported_at) FROM event")).scalar_one()
    point = demo_session.execute(text(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grid "
        "WHERE theme = 'unified' ORDER BY code LIMIT 1")).one()
    located = assign.locate(demo_session, point[0], point[1], at=first)
    assert located["grid"] is not None and not located["outside"]
