"""/map/coverage over HTTP with ``map_embed_max`` lowered: only the uncovered buildings are
embedded, every footprint comes from the building tiles, and the rates stay those of all.

The river scene (tests/gis/network/test_coverage.py): five buildings, A, B and D covered, C not
(20 households, 1010 m), E off the network (3 households); 15 of 38 households covered.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from gis.access import keys
from layers import buildings as building_layers
from layers import circles as layer
from tests.api.test_map_building_tiles import TILE_URL, client_with, pytestmark  # noqa: F401
from tests.gis.network.test_coverage import river  # noqa: F401  (fixture)
from tests.layers.test_base_map import visible

PARAMS = {"type": "party_center", "minutes": 10}
REST = "已覆盖（其余建筑）"


def _admin(session: Session) -> dict:
    return {"Authorization": f"Bearer {keys.create_key(session, role='admin')}"}


def _page(client, session: Session) -> str:  # type: ignore[no-untyped-def]
    return _seen(client, _admin(session))


def _seen(client, headers: dict | None = None) -> str:  # type: ignore[no-untyped-def]
    """What the page shows once loaded: its HTML and the layers it fetches after load."""
    answer = client.get("/map/coverage", params=PARAMS, headers=headers)
    layers = client.get(layer.LAYERS_URL, params=PARAMS, headers=headers)
    assert answer.status_code == 200 and layers.status_code == 200
    return answer.text + layers.text


def _shown(page: str, blds: dict) -> set[str]:
    """Which river buildings (by letter) the page embeds, by their address in the popups."""
    return {k for k, b in blds.items() if visible(page, b.address)}


def _figures(page: str) -> list[str]:
    """The legend's figures: the rate and covered / all households."""
    return re.findall(r"\d+(?:\.\d+)?%|\d+ / \d+", page)


def test_above_the_threshold_only_uncovered_buildings_are_embedded(
        client_with, session: Session, river) -> None:  # noqa: F811
    blds, _ = river
    embedded = _page(client_with(5), session)
    assert _shown(embedded, blds) == set("ABCDE") and TILE_URL not in embedded
    assert not visible(embedded, REST)
    tiled = _page(client_with(4), session)
    assert _shown(tiled, blds) == {"C", "E"}
    assert TILE_URL in tiled and visible(tiled, REST)
    assert layer.UNCOVERED_PANE in tiled  # drawn above the footprints, taking the clicks
    assert not visible(tiled, "栋未覆盖建筑未显示")
    # the rates come from all five buildings in both modes
    assert visible(tiled, "户覆盖率 39.5%") and visible(tiled, "已覆盖 15 / 38 户")
    assert _figures(tiled) == _figures(embedded) != []


def test_under_a_gcj02_basemap_no_footprint_tiles(
        client_with, session: Session, river) -> None:  # noqa: F811
    """/tiles are not shifted to GCJ-02 (高德): above the limit the page draws the uncovered
    buildings (shifted, embedded) and no footprint tiles, whose places would be ~500 m off."""
    blds, _ = river
    shifted = _page(client_with(4, basemap="amap", basemap_url="amap"), session)
    assert _shown(shifted, blds) == {"C", "E"}
    assert TILE_URL not in shifted and not visible(shifted, REST)
    assert visible(shifted, "户覆盖率 39.5%")


def test_too_many_uncovered_keeps_the_most_households_and_says_so(
        client_with, session: Session, river) -> None:  # noqa: F811
    blds, _ = river
    page = _page(client_with(1), session)
    assert _shown(page, blds) == {"C"}  # 20 households against E's 3
    assert visible(page, "另有 1 栋未覆盖建筑未显示") and TILE_URL in page
    assert visible(page, "已覆盖 15 / 38 户")


def test_anonymous_visitors_get_the_uncovered_status_only(
        client_with, session: Session, river) -> None:  # noqa: F811
    blds, _ = river
    page = _seen(client_with(4))
    assert TILE_URL in page and visible(page, "距路网超过 200 米（详情需授权查看）")
    assert not visible(page, "已覆盖（详情需授权查看）") and _shown(page, blds) == set()
    # the footprint tiles carry no attributes for them: the "needs a key" popup
    assert visible(page, building_layers.HIDDEN)
