"""Writing the demo district into the database: COPY in one transaction, then set-based SQL.

Ids are reserved from each table's sequence up front, so rows can refer to each other before
they are written and everything goes in with COPY (no row-by-row inserts, no RETURNING).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core.frames import copy_frame
from gis.demo import names
from gis.demo.district import DemoData
from gis.events import partitions
from gis.grids import assign

EVENT_PREFIX = f"E{names.SUBDISTRICT_CODE[:9]}"
FACILITY_PREFIX = f"F{names.SUBDISTRICT_CODE[:9]}"
WORKER_PREFIX = f"W{names.SUBDISTRICT_CODE[:9]}"
GRIDS_VALID_FROM = "2026-01-01T00:00:00+08:00"
TABLES = ("region", "water_area", "grid", "grid_worker", "grid_worker_grid", "building",
          "household", "resident", "road_node", "road_edge", "facility", "event", "event_log")

# Rows of the demo, told apart from anything else by their codes (the demo's own) or by lying
# on the demo subdistrict (the network, the river), in an order the foreign keys allow.
DELETE_DEMO = (
    "DELETE FROM plan WHERE scope_code = ANY(:codes)",
    "UPDATE event SET grid_id = NULL, worker_id = NULL WHERE code NOT LIKE :events "
    "AND (grid_id IN (SELECT id FROM grid WHERE community_code = ANY(:codes)) "
    "OR worker_id IN (SELECT id FROM grid_worker WHERE code LIKE :workers))",
    "DELETE FROM event WHERE code LIKE :events",
    "DELETE FROM facility WHERE code LIKE :facilities",
    "DELETE FROM building WHERE community_code = ANY(:codes)",
    "DELETE FROM grid_worker WHERE code LIKE :workers",
    "DELETE FROM grid WHERE community_code = ANY(:codes)",
    "DELETE FROM road_edge e USING region r WHERE r.code = :sub "
    "AND ST_DWithin(e.geom, r.geom, 0.00001)",
    "DELETE FROM road_node n USING region r WHERE r.code = :sub "
    "AND ST_DWithin(n.geom, r.geom, 0.00001) AND NOT EXISTS ("
    "SELECT 1 FROM road_edge e WHERE e.source = n.id OR e.target = n.id)",
    "DELETE FROM water_area w USING region r WHERE r.code = :sub AND w.name = :river "
    "AND ST_Intersects(w.geom, r.geom)",
    "DELETE FROM region WHERE level = 'community' AND code = ANY(:codes)",
    "DELETE FROM region WHERE code = :sub",
    "DELETE FROM region r WHERE r.code = :district AND NOT EXISTS ("
    "SELECT 1 FROM region c WHERE c.parent_code = r.code)",
)

OTHER_DATA = """
SELECT (SELECT count(*) FROM region WHERE code <> ALL(:codes))
     + (SELECT count(*) FROM grid WHERE community_code IS NULL
                                    OR community_code <> ALL(:codes))
     + (SELECT count(*) FROM building WHERE community_code IS NULL
                                        OR community_code <> ALL(:codes))
     + (SELECT count(*) FROM facility WHERE code NOT LIKE :facilities)
     + (SELECT count(*) FROM event WHERE code NOT LIKE :events)
     + (SELECT count(*) FROM grid_worker WHERE code NOT LIKE :workers)
     + (SELECT count(*) FROM road_edge e WHERE NOT EXISTS (
          SELECT 1 FROM region r WHERE r.code = :sub AND ST_DWithin(e.geom, r.geom, 0.00001)))
"""


def _params() -> dict:
    return {"codes": list(names.DEMO_CODES), "sub": names.SUBDISTRICT_CODE,
            "district": names.DISTRICT_CODE, "river": names.RIVER_NAME,
            "events": EVENT_PREFIX + "%", "facilities": FACILITY_PREFIX + "%",
            "workers": WORKER_PREFIX + "%"}


def is_loaded(session: Session) -> bool:
    """Whether the demo subdistrict is in the database."""
    return session.execute(text("SELECT EXISTS (SELECT 1 FROM region WHERE code = :c)"),
                           {"c": names.SUBDISTRICT_CODE}).scalar_one()


def other_rows(session: Session) -> int:
    """How many rows of regions, grids, buildings, facilities, events, workers or streets are
    not the demo's."""
    return int(session.execute(text(OTHER_DATA), _params()).scalar_one())


def delete_demo(session: Session) -> None:
    """Remove every demo row (flush only; the caller commits)."""
    for statement in DELETE_DEMO:
        session.execute(text(statement), _params())


def _reserve(session: Session, table: str, n: int) -> int:
    """First id of a block of ``n`` ids taken from ``table``'s sequence (table: our own)."""
    return int(session.execute(text(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"GREATEST((SELECT COALESCE(max(id), 0) FROM {table}), "
        f"(SELECT last_value FROM {table}_id_seq)) + :n) - :n + 1"), {"n": n}).scalar_one())


def _geo(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The ``columns`` of ``frame`` with the geometry column named ``geom``."""
    out = frame.rename(columns={"geometry": "geom"})
    return out[[*columns, "geom"]]


def write(session: Session, data: DemoData,
          step: Callable[[str], None] = lambda _: None) -> dict:
    """COPY every demo table, then assign buildings and events to grids (gis.grids.assign)."""
    write_tables(session, data, step)
    # statistics first (inside the transaction, which sees its own rows): without them the
    # planner takes 60k fresh rows for empty tables and picks nested loops for the updates
    session.execute(text(f"ANALYZE {', '.join(TABLES)}"))
    # the production assignment (gis.grids.assign), so the demo follows the documented rules
    assign.assign_buildings(session)
    assign.assign_events(session)
    # again: the updates doubled the building and event pages, and with the old counts the
    # planner read the whole building table for each geocoding query (18 ms) instead of
    # its trigram indexes (about 3 ms)
    session.execute(text("ANALYZE building, event"))
    step("assign")
    return data.counts()


def write_tables(session: Session, data: DemoData,
                 step: Callable[[str], None] = lambda _: None) -> None:
    """COPY the rows of ``data`` into every table (no grid assignment, no ANALYZE)."""
    copy_frame(session, _geo(data.regions, ["code", "name", "level", "parent_code"]), "region")
    copy_frame(session, _geo(data.water, ["name"]), "water_area")
    _write_grids(session, data)
    step("grids")
    _write_people(session, data)
    step("people")
    _write_network(session, data)
    step("network")
    _write_events(session, data)
    step("events")


def analyze(session: Session, tables: tuple[str, ...] = TABLES) -> None:
    """Planner statistics of ``tables`` (our own names), inside the caller's transaction."""
    session.execute(text(f"ANALYZE {', '.join(tables)}"))


def _ids(session: Session, table: str, n: int) -> np.ndarray:
    return _reserve(session, table, n) + np.arange(n)


def _write_grids(session: Session, data: DemoData) -> None:
    grid_ids = _ids(session, "grid", len(data.grids))
    # a fixed start (before the demo's first event), so history queries (`at=`) of the demo
    # months find these grids and reloads stay deterministic
    copy_frame(session, _geo(data.grids.assign(id=grid_ids, valid_from=GRIDS_VALID_FROM), [
        "id", "code", "name", "theme", "kind", "community_code", "valid_from"]), "grid")
    worker_ids = _ids(session, "grid_worker", len(data.workers))
    copy_frame(session, data.workers.assign(id=worker_ids), "grid_worker")
    links = pd.DataFrame({"worker_id": worker_ids[data.worker_grids["worker"]],
                          "grid_id": grid_ids[data.worker_grids["grid"]],
                          "is_primary": data.worker_grids["is_primary"]})
    copy_frame(session, links, "grid_worker_grid")


def _write_people(session: Session, data: DemoData) -> None:
    """Buildings (grid_id comes later, from the assignment), households, residents."""
    b_ids = _ids(session, "building", len(data.buildings))
    copy_frame(session, _geo(data.buildings.assign(id=b_ids), [
        "id", "code", "address", "compound", "floors", "households", "residents", "use",
        "community_code"]), "building")
    h_ids = _ids(session, "household", len(data.households))
    hh = data.households.assign(id=h_ids, building_id=b_ids[data.households["building"]])
    copy_frame(session, hh, "household",
               ["id", "code", "building_id", "unit", "room", "head_name", "phone", "size"])
    res = data.residents.assign(household_id=h_ids[data.residents["household"]],
                                building_id=b_ids[data.residents["building"]],
                                birth_date=data.residents["birth_date"].dt.strftime("%Y-%m-%d"))
    copy_frame(session, res, "resident", [
        "code", "household_id", "building_id", "name", "id_number", "phone", "gender",
        "birth_date", "relation", "categories"])


def _write_network(session: Session, data: DemoData) -> None:
    """Nodes and edges (source/target become node ids), then facilities with entrances."""
    n_ids = _ids(session, "road_node", len(data.nodes))
    copy_frame(session, _geo(data.nodes.assign(id=n_ids), ["id"]), "road_node")
    edges = data.edges.assign(source=n_ids[data.edges["source"]],
                              target=n_ids[data.edges["target"]])
    copy_frame(session, _geo(edges, ["source", "target", "length_m", "cost", "reverse_cost",
                                     "kind", "name", "component"]), "road_edge")
    copy_frame(session, _geo(data.facilities, [
        "code", "name", "type", "level", "capacity", "opening_hours", "address", "phone",
        "community_code", "entrance"]), "facility")


def _iso(values: pd.Series) -> np.ndarray:
    """Timestamps as ISO 8601 text in UTC (pandas writes tz-aware times to CSV slowly)."""
    utc = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None).to_numpy()
    out = np.char.add(np.datetime_as_string(utc, unit="s"), "+00:00").astype(object)
    out[np.isnat(utc)] = None
    return out


def _write_events(session: Session, data: DemoData) -> None:
    e_ids = _ids(session, "event", len(data.events))
    partitions.ensure_months(session, data.events["reported_at"])  # before the rows (0015)
    times = {c: _iso(data.events[c]) for c in ("reported_at", "due_at", "closed_at")}
    copy_frame(session, _geo(data.events.assign(id=e_ids, **times), [
        "id", "code", "category", "description", "channel", "status", "priority", "address",
        "reporter_name", "reporter_phone", "source_crs", "escalation_level", "satisfaction",
        "external_id", "reported_at", "due_at", "closed_at", "region_code"]), "event")
    log = data.event_log.assign(event_id=e_ids[data.event_log["event"]],
                                at=_iso(data.event_log["at"]))
    copy_frame(session, log, "event_log",
               ["event_id", "from_status", "to_status", "actor", "note", "at"])


SUMMARY = """
SELECT (SELECT count(*) FROM region WHERE code = ANY(:codes) AND level = 'community')
           AS communities,
       (SELECT count(DISTINCT compound) FROM building WHERE community_code = ANY(:codes)
          AND use = 'residential') AS compounds,
       (SELECT count(*) FROM building WHERE community_code = ANY(:codes)) AS buildings,
       (SELECT COALESCE(sum(households), 0) FROM building
          WHERE community_code = ANY(:codes)) AS households,
       (SELECT COALESCE(sum(residents), 0) FROM building
          WHERE community_code = ANY(:codes)) AS residents,
       (SELECT count(*) FROM grid WHERE community_code = ANY(:codes) AND theme = 'unified'
          AND valid_to IS NULL) AS unified_grids,
       (SELECT count(*) FROM grid WHERE community_code = ANY(:codes) AND theme <> 'unified'
          AND valid_to IS NULL) AS thematic_grids,
       (SELECT count(*) FROM facility WHERE code LIKE :facilities) AS facilities,
       (SELECT count(*) FROM grid_worker WHERE code LIKE :workers) AS workers,
       (SELECT count(*) FROM event WHERE code LIKE :events) AS events,
       (SELECT count(*) FROM road_edge e JOIN region r ON r.code = :sub
          AND ST_DWithin(e.geom, r.geom, 0.00001)) AS road_edges,
       (SELECT round((ST_Area(geom::geography) / 1e6)::numeric, 2) FROM region
          WHERE code = :sub) AS area_km2
"""


def summary(session: Session) -> dict:
    """Headline figures of the demo in the database (area in km² on the ellipsoid)."""
    row = session.execute(text(SUMMARY), _params()).mappings().one()
    return dict(row)
