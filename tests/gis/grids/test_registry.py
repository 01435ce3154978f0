"""Grid reads: load figures against hand counts, themes, bbox, paging, NotFound."""

import pandas as pd
import pytest
from shapely import Point
from sqlalchemy.orm import Session

from gis.core import frames
from gis.core.errors import InvalidInput, NotFound
from gis.grids import registry
from tests.builders import (
    make_building,
    make_event,
    make_grid,
    make_region,
    make_worker,
    square,
)


@pytest.fixture
def two_grids(session: Session) -> dict:
    community = make_region(session, code="320706013001", name="朝阳社区")
    west = make_grid(session, code="G-W", community_code=community.code,
                     geom=square(119.20, 34.60, 0.01))
    east = make_grid(session, code="G-E", community_code=community.code,
                     geom=square(119.21, 34.60, 0.01))
    for households, residents in ((10, 25), (4, 9), (0, 0)):
        make_building(session, grid=west, households=households, residents=residents,
                      geom=square(119.203, 34.603, 0.0005))
    make_building(session, grid=east, households=7, residents=15,
                  geom=square(119.213, 34.603, 0.0005))
    for status in ("reported", "in_progress", "closed", "verified", "resolved"):
        make_event(session, grid=west, status=status, geom=Point(119.204, 34.604))
    make_worker(session, name="兼职甲", role="part_time", grids=[west], is_primary=False)
    make_worker(session, name="专职乙", role="full_time", phone="13911112222",
                supervision_phone="0518-88886666", grids=[west])
    return {"west": west, "east": east}


def test_load_figures_match_hand_counts(session: Session, two_grids: dict) -> None:
    frame = registry.list_grids(session).set_index("code")
    assert list(frame.index) == ["G-E", "G-W"]
    west = frame.loc["G-W"]
    assert (west.households, west.residents, west.buildings) == (14, 34, 3)
    assert west.open_events == 2  # reported + in_progress; closed/verified/resolved are done
    assert west.not_closed_events == 4  # resolved and verified still wait for 核查/结案
    assert (west.worker_name, west.worker_phone, west.supervision_phone) == \
        ("专职乙", "13911112222", "0518-88886666")
    assert west.community_name == "朝阳社区"
    east = frame.loc["G-E"]
    assert (east.households, east.residents, east.buildings, east.open_events) == (7, 15, 1, 0)
    assert pd.isna(east.worker_name)
    # 0.01° × 0.01° at lat 34.6: 1.1095 km × 0.9167 km ≈ 1.017 km² on the ellipsoid
    assert west.area_km2 == pytest.approx(1.017, rel=0.01)
    assert frame.crs.to_epsg() == 4490
    assert frame.attrs["number_matched"] == 2


def test_other_themes_count_spatially(session: Session, two_grids: dict) -> None:
    make_grid(session, code="P-1", theme="party", geom=square(119.20, 34.60, 0.02))
    frame = registry.list_grids(session, theme="party")
    assert list(frame.code) == ["P-1"]
    # all four buildings and the two open events lie inside the 0.02° party grid
    assert (frame.buildings[0], frame.households[0], frame.open_events[0]) == (4, 21, 2)


def test_filters_bbox_and_paging(session: Session, two_grids: dict) -> None:
    assert list(registry.list_grids(session, bbox=(119.215, 34.605, 119.3, 34.7)).code) == ["G-E"]
    assert list(registry.list_grids(session, bbox="119.0,34.0,119.1,34.1").code) == []
    assert list(registry.list_grids(session, community_code="320706013001").code) == ["G-E", "G-W"]
    page = registry.list_grids(session, limit=1, offset=1)
    assert list(page.code) == ["G-W"]
    assert page.attrs["number_matched"] == 2
    past = registry.list_grids(session, limit=1, offset=5)
    assert past.empty and past.attrs["number_matched"] == 2


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "119.3,34.6,119.2,34.7",
                                  "10,10,11,11", "34.6,119.2,34.7,119.3"])
def test_bad_bbox_is_invalid_input(session: Session, bbox: str) -> None:
    with pytest.raises(InvalidInput, match=r"bbox|China|swapped|lat|lon"):
        registry.list_grids(session, bbox=bbox)


def test_bad_paging_and_theme(session: Session) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        registry.list_grids(session, limit=0)
    with pytest.raises(InvalidInput, match="offset"):
        registry.list_grids(session, offset=-1)
    with pytest.raises(InvalidInput, match="theme"):
        registry.list_grids(session, theme="nonsense")


def test_get_grid_and_not_found(session: Session, two_grids: dict) -> None:
    row = registry.get_grid(session, "G-W")
    assert len(row) == 1 and row.households[0] == 14
    with pytest.raises(NotFound, match=r"G-W.*party"):
        registry.get_grid(session, "G-W", theme="party")


def test_history_rows_are_not_current(session: Session, two_grids: dict) -> None:
    old = two_grids["east"]
    session.execute(
        old.__table__.update().where(old.__table__.c.id == old.id)
        .values(valid_to=old.valid_from.replace(year=old.valid_from.year + 1)))
    assert list(registry.list_grids(session).code) == ["G-W"]


@pytest.mark.parametrize(("theme", "community", "bbox", "limit", "offset"), [
    ("unified", None, None, 100, 0), ("unified", None, None, 10, 20),
    ("unified", "320706013001", None, 5, 0), ("party", None, None, 100, 0),
    ("unified", None, "119.20,34.58,119.22,34.60", 50, 0), ("unified", None, None, 10, 500)])
def test_the_row_page_writes_what_the_frame_page_writes(demo_session, theme, community, bbox,
                                                        limit, offset) -> None:
    """The grid list route's page without a DataFrame is, byte for byte, the frame's."""
    frame = registry.list_grids(demo_session, theme=theme, community_code=community,
                                bbox=bbox, limit=limit, offset=offset)
    rows, matched = registry.grid_page(demo_session, theme=theme, community_code=community,
                                       bbox=bbox, limit=limit, offset=offset)
    assert matched == frame.attrs["number_matched"] and len(rows) == len(frame)
    extra = {"numberMatched": matched}
    assert frames.feature_collection_json_rows(rows, id_column="code", extra=extra) == \
        frames.feature_collection_json(frame, id_column="code", extra=extra)
