"""The demo district's personal numbers (residents' ID numbers and phones, households' and
reporters' phones) never leave in clear without a reveal: not in vector tiles of any layer,
not in exports (over HTTP, or written as CSV and GeoPackage), not in the lists that show
people, for anonymous callers and every role.

The run-wide scan (tests/leaks.py) catches ID numbers in any answer; phones it cannot judge
there (grid workers' phones are public), so this test looks for the stored values themselves.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import io
from gis.access import keys
from tests.builders import make_building, square

ROLES = (None, "viewer", "dispatcher", "admin")
DIGIT_RUN = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")
ZOOM = 14
PERSONAL_SQL = text("""
    SELECT v FROM (SELECT id_number AS v FROM resident UNION SELECT phone FROM resident
                   UNION SELECT phone FROM household UNION SELECT reporter_phone FROM event) s
    WHERE v IS NOT NULL
    EXCEPT SELECT phone FROM grid_worker EXCEPT SELECT supervision_phone FROM grid_worker""")
"""Stored personal numbers, less any that is also a worker's public phone (random demo
phones may meet)."""


@pytest.fixture(scope="module")
def personal(demo_engine) -> set[str]:
    with demo_engine.connect() as conn:
        values = {v.upper() for v in conn.execute(PERSONAL_SQL).scalars()}
    assert len(values) > 1000  # the demo holds people: a test of nothing cannot pass
    return values


def _in_clear(content: bytes, personal: set[str]) -> list[str]:
    found = {m.group().upper() for m in DIGIT_RUN.finditer(content.decode("latin-1"))}
    return sorted(f"{v[:4]}…" for v in found & personal)


def _most_people(session: Session) -> str:
    """The code of the community with the most residents."""
    return str(session.scalar(text("SELECT community_code FROM building GROUP BY 1 "
                                   "ORDER BY sum(residents) DESC LIMIT 1")))


def _headers(session: Session, role: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create_key(session, role=role)}"} if role else {}


def _tile_xy(lon: float, lat: float, zoom: int = ZOOM) -> tuple[int, int]:
    """The XYZ tile (y down from the north) holding lon/lat."""
    n, rad = 2 ** zoom, math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)


def _tiles(session: Session) -> list[tuple[int, int, int]]:
    """The z14 tiles over the demo's buildings."""
    west, south, east, north = session.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_Extent(geom) AS e FROM building) s")).one()
    (x0, y0), (x1, y1) = _tile_xy(west, north), _tile_xy(east, south)
    return [(ZOOM, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def test_tiles_show_no_personal_numbers(demo_client: TestClient, demo_session: Session,
                                        personal: set[str]) -> None:
    tiles, leaks, read = _tiles(demo_session), [], 0
    for role in ROLES:
        headers = _headers(demo_session, role)
        for layer in ("buildings", "grids", "facilities"):
            for z, x, y in tiles:
                answer = demo_client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=headers)
                assert answer.status_code in (200, 204), answer.text
                read += len(answer.content)
                leaks += [f"{role} {layer} {z}/{x}/{y}: {v}"
                          for v in _in_clear(answer.content, personal)]
    assert read > 10_000 and leaks == []


def test_exports_show_no_personal_numbers(demo_client: TestClient, demo_session: Session,
                                          personal: set[str]) -> None:
    """Anonymous callers export the public kinds; an admin key of the community with the most
    people (a whole-district export of residents is 18 MB) the personal ones."""
    admin = {"Authorization": "Bearer " + keys.create_key(
        demo_session, role="admin", region_code=_most_people(demo_session))}
    leaks, rows = [], 0
    for kind, headers in [*((k, {}) for k, spec in io.KINDS.items() if spec.public),
                          *((k, admin) for k in ("buildings", "households", "residents",
                                                 "events"))]:
        answer = demo_client.get(f"/api/v1/export/{kind}", headers=headers)
        assert answer.status_code == 200, answer.text
        rows += len(answer.json()["features"]) if kind == "residents" else 0
        leaks += [f"{kind}: {v}" for v in _in_clear(answer.content, personal)]
    assert rows > 100 and leaks == []


@pytest.mark.parametrize(("kind", "suffix"), [("residents", ".csv"), ("events", ".gpkg")])
def test_export_files_show_no_personal_numbers(demo_session: Session, personal: set[str],
                                               tmp_path: Path, kind: str, suffix: str) -> None:
    path = tmp_path / f"{kind}{suffix}"
    assert io.export_file(demo_session, kind, path, scope=_most_people(demo_session)) > 10
    assert _in_clear(path.read_bytes(), personal) == []


def test_lists_of_people_show_no_personal_numbers(demo_client: TestClient,
                                                  demo_session: Session,
                                                  personal: set[str]) -> None:
    grid, building = demo_session.execute(text(
        "SELECT g.code, b.code FROM building b JOIN grid g ON g.id = b.grid_id "
        "WHERE b.households > 0 ORDER BY b.households DESC LIMIT 1")).one()
    leaks = []
    for role in ("viewer", "admin"):
        headers = _headers(demo_session, role)
        for url in ("/api/v1/events?limit=1000", f"/api/v1/residents?grid={grid}&limit=5000",
                    f"/api/v1/buildings/{building}/households"):
            answer = demo_client.get(url, headers=headers)
            assert answer.status_code in (200, 403), answer.text
            leaks += [f"{role} {url}: {v}" for v in _in_clear(answer.content, personal)]
    assert leaks == []
    shown = demo_client.get(f"/api/v1/residents?grid={grid}&reveal=true",
                            headers=_headers(demo_session, "admin"))
    assert len(_in_clear(shown.content, personal)) > 10  # asked to reveal: the check sees them


def test_a_number_typed_into_an_address_stays_out_of_building_tiles(
        client: TestClient, session: Session) -> None:
    make_building(session, code="B-PHONE", address="海州区朝阳路1号 联系人139-8765-4321",
                  geom=square(119.200, 34.600, 0.001))
    make_building(session, code="B-PLAIN", address="海州区朝阳路2号3栋1单元101室",
                  geom=square(119.202, 34.600, 0.001))
    shown = {}
    for lon in (119.2005, 119.2025):  # each building's own tile
        x, y = _tile_xy(lon, 34.6005, 15)
        answer = client.get(f"/tiles/buildings/15/{x}/{y}.pbf",
                            headers=_headers(session, "admin"))
        assert answer.status_code == 200
        shown |= {f["properties"]["code"]: f["properties"].get("address")
                  for f in mapbox_vector_tile.decode(answer.content)["buildings"]["features"]}
    assert shown == {"B-PHONE": None, "B-PLAIN": "海州区朝阳路2号3栋1单元101室"}
