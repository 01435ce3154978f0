"""Page size does not grow with the data: /map's HTML is the same number of bytes (within a
few digits of its opening box) after thousands more buildings, grids and events, while the
layers it fetches after load (``/map/layers/overview``) grow with them."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access.callers import Caller
from layers import overview
from tests.layers.scene import COMMUNITY, EAST, NORTH, SOUTH, WEST, make_scene

ADMIN = Caller(role="admin")
MORE_BUILDINGS, MORE_GRIDS, MORE_EVENTS = 3000, 1000, 3000
SLACK = 16
"""Bytes the HTML may differ by: nothing in it depends on the data but the digits of the
box it opens on (the new rows lie inside the scene's community, so not even those)."""

# n-th small box on a 100-column lattice inside the scene's community (lon/lat, EPSG:4490)
CELL = ("ST_Multi(ST_MakeEnvelope(:w + (n % 100) * :dx, :s + (n / 100) * :dy, "
        ":w + (n % 100) * :dx + :dx * 0.8, :s + (n / 100) * :dy + :dy * 0.8, 4490))")


def _grow(session: Session) -> None:
    """Thousands more buildings, grids and events inside the scene's community (set-based)."""
    box = {"w": WEST, "s": SOUTH, "dx": (EAST - WEST) / 100, "c": COMMUNITY}
    session.execute(text(
        "INSERT INTO building (code, address, households, residents, community_code, geom) "
        f"SELECT 'VB' || n, '海州区测试路' || n || '号', 10, 25, :c, {CELL} "
        "FROM generate_series(0, :k - 1) AS n"),
        {**box, "dy": (NORTH - SOUTH) / (MORE_BUILDINGS / 100), "k": MORE_BUILDINGS})
    session.execute(text(
        "INSERT INTO grid (code, name, theme, kind, community_code, geom) "
        f"SELECT 'VG' || n, '测试网格' || n, 'unified', 'residential', :c, {CELL} "
        "FROM generate_series(0, :k - 1) AS n"),
        {**box, "dy": (NORTH - SOUTH) / (MORE_GRIDS / 100), "k": MORE_GRIDS})
    session.execute(text(
        "INSERT INTO event (code, category, channel, community_code, geom) "
        "SELECT 'VE' || n, 'environment', 'patrol', :c, "
        "ST_SetSRID(ST_MakePoint(:w + (n % 100) * :dx, :s + (n / 100) * :dy), 4490) "
        "FROM generate_series(0, :k - 1) AS n"),
        {**box, "dy": (NORTH - SOUTH) / (MORE_EVENTS / 100), "k": MORE_EVENTS})
    session.flush()


def test_map_html_does_not_grow_with_the_data(session: Session):
    make_scene(session)
    # buildings from the tiles and grids as GeoJSON both times (the steps from embedded to
    # tiles are the changes of size there are: tests/layers/test_buildings.py,
    # tests/api/test_map_grid_tiles.py)
    caps = {"building_embed_max": 0, "grid_embed_max": 10 * MORE_GRIDS}
    before = overview.render_overview(session, ADMIN, **caps).encode()
    layers_before = json.dumps(overview.overview_layers(session, ADMIN, **caps))
    _grow(session)
    after = overview.render_overview(session, ADMIN, **caps).encode()
    layers_after = json.dumps(overview.overview_layers(session, ADMIN, **caps))
    assert abs(len(after) - len(before)) <= SLACK, (len(before), len(after))
    # the data did grow, and it reaches the page after load
    assert len(layers_after) > len(layers_before) + 100_000
    grids = overview.overview_layers(session, ADMIN, **caps)["layers"]["grids"]["features"]
    assert len(grids) == 2 + MORE_GRIDS
    # over the default cap the grids come as tiles: the answer holds none of them
    capped = overview.overview_layers(session, ADMIN, building_embed_max=0)
    assert capped["layers"]["grids"]["features"] == [] and capped["left_out"] == ["grid_labels"]
