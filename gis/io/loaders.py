"""Writing validated rows with COPY (``gis.core.frames.copy_frame``), never row by row.

Frames arrive checked and with their reference ids resolved (gis.io.references); geometry
is in EPSG:4490. Loaders ``flush()`` nothing and commit nothing: the caller's transaction
holds the whole import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.core import frames
from gis.events import partitions, workflow
from gis.grids import assign
from gis.io.kinds import Kind
from gis.models.admin import REGION_LEVELS
from gis.network import roads

Progress = Callable[[str, int, int | None], None]
"""progress(stage, done, total): a CLI progress bar (or nothing) follows the import."""
CHUNK: Final = 5000
COLUMNS: Final = {
    "regions": ["code", "name", "level", "parent_code", "geom"],
    "grids": ["code", "name", "theme", "kind", "community_code", "locked", "geom"],
    "buildings": ["code", "address", "compound", "floors", "households", "residents", "use",
                  "community_code", "grid_id", "geom"],
    "facilities": ["code", "name", "type", "level", "capacity", "opening_hours", "address",
                   "phone", "community_code", "geom"],
    "grid_workers": ["code", "name", "role", "phone", "duties", "supervision_phone"],
    "households": ["code", "building_id", "unit", "room", "head_name", "phone", "size"],
    "residents": ["code", "household_id", "building_id", "name", "id_number", "phone",
                  "gender", "birth_date", "relation", "categories"],
    "events": ["code", "category", "description", "channel", "status", "address",
               "reporter_name", "reporter_phone", "reported_at", "source_crs", "geom"],
}


def load(session: Session, kind: Kind, frame: pd.DataFrame, *, source_crs: str | None = None,
         progress: Progress | None = None,
         time_limits: Mapping[str, float] | None = None) -> tuple[int, dict]:
    """Write ``frame`` (checked rows, geometry column ``geom`` in EPSG:4490); (rows, extra).
    Events get due times under ``time_limits`` (``Settings.event_time_limits``)."""
    if kind.name == "roads":
        return _roads(session, frame)
    if kind.name == "regions":  # parents before children: each COPY chunk checks its FKs
        frame = frame.sort_values("level", key=lambda s: s.map(REGION_LEVELS.index))
    if kind.name == "events":
        frame = _event_columns(frame, source_crs)
        if "reported_at" in frame:  # the months' partitions before their rows (0015)
            partitions.ensure_months(session, frame["reported_at"])
    written = _copy(session, frame, kind.table or "", COLUMNS[kind.name], progress)
    extra: dict = {}
    if kind.name == "grid_workers":
        extra["grid_links"] = _worker_links(session, frame)
    if kind.name == "events":
        extra["assigned"] = _assign_events(session, frame["code"], time_limits)
    return written, extra


def _copy(session: Session, frame: pd.DataFrame, table: str, columns: list[str],
          progress: Progress | None) -> int:
    written = 0
    for start in range(0, len(frame), CHUNK):  # chunks only so a progress bar can move
        written += frames.copy_frame(session, frame.iloc[start:start + CHUNK], table, columns)
        if progress:
            progress("writing", written, len(frame))
    return written


def _event_columns(frame: pd.DataFrame, source_crs: str | None) -> pd.DataFrame:
    frame = frame.copy()
    geoms = np.asarray(frame["geom"], dtype=object)
    located = pd.Series(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)),
                        index=frame.index)
    frame["status"] = located.map({True: "reported", False: "needs_location"})
    # COPY writes NULL, not the column default, for a missing time
    frame["reported_at"] = frame["reported_at"].fillna(datetime.now(UTC).isoformat())
    frame["source_crs"] = (source_crs or "")[:20] or None
    return frame


def _new_ids(session: Session, table: str, codes: pd.Series) -> dict[str, int]:
    rows = session.execute(text(f"SELECT code, id FROM {table} WHERE code = ANY(:codes)"),
                           {"codes": [str(c) for c in codes]}).all()
    return {code: id_ for code, id_ in rows}


def _worker_links(session: Session, frame: pd.DataFrame) -> int:
    """grid_worker_grid rows for each worker's grid_codes (the first listed is primary)."""
    ids = _new_ids(session, "grid_worker", frame["code"])
    links = frame[["code", "grid_codes_ids"]].explode("grid_codes_ids").dropna()
    if links.empty:
        return 0
    links = pd.DataFrame({
        "worker_id": links["code"].map(ids),
        "grid_id": links["grid_codes_ids"].astype(int),
        "is_primary": ~links.index.duplicated(keep="first"),
    }).drop_duplicates(["worker_id", "grid_id"])
    return frames.copy_frame(session, links, "grid_worker_grid")


def _assign_events(session: Session, codes: pd.Series,
                   time_limits: Mapping[str, float] | None) -> int:
    """Assign the new events (grid, community, worker) and give them their due times."""
    session.flush()
    ids = list(_new_ids(session, "event", codes).values())
    assigned = assign.assign_events(session, ids)
    workflow.fill_due_dates(session, ids, time_limits=time_limits)
    return assigned


def _roads(session: Session, frame: pd.DataFrame) -> tuple[int, dict]:
    """Roads are noded and loaded by gis.network.roads.load_roads (the walking network's owner)."""
    # OSM extracts carry their own topology (u/v node ids): passing it keeps a bridge off the
    # street beneath; line files without it are noded geometrically
    osm = [c for c in ("u", "v") if c in frame and frame[c].notna().all()]
    columns = ["name", "kind", *(osm if len(osm) == 2 else [])]
    lines = gpd.GeoDataFrame(frame[columns], geometry=frame["geom"].values, crs="EPSG:4490")
    extra = roads.load_roads(session, lines)
    return len(lines), dict(extra or {})
