"""What a grid's load is: households, or households weighed with events, special groups and
ground (an option on plan creation).

load of a building = households
                   + ``events_per_month`` × events a month on its ground
                   + ``special`` × residents of special groups in it
                   + ``area_ha`` × hectares of its ground

"Its ground" is the building's cell (gis.plans.cells: the ground nearer to it than to any
other building of its community); events are those reported in the last EVENT_MONTHS months
(any status) whose point lies in the cell; special groups are SPECIAL_CATEGORIES. With the
default weights (all 0) the load is the household count. With weights, a grid's load is in
household equivalents and the household range bounds the load; the plan's figures
(households, residents, moved) stay real counts. Suggested weights (``SUGGESTED``): one
event a month weighs as one household, a special-group resident as two, a hectare as one.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, TEXT
from sqlalchemy.orm import Session

from gis.core.frames import frame_from_sql
from gis.plans.atoms import Scope

EVENT_MONTHS = 6
SPECIAL_CATEGORIES = ("elderly_alone", "disabled", "low_income", "key_care",
                      "minor_left_behind", "floating")
"""Resident categories that take a grid worker's visits (party members and veterans don't
add work of this kind)."""


class LoadWeights(BaseModel):
    """Weights of the load beyond households (0: not counted)."""

    events_per_month: float = Field(0.0, ge=0, description="per event a month on its ground")
    special: float = Field(0.0, ge=0, description="per resident of a special group")
    area_ha: float = Field(0.0, ge=0, description="per hectare of ground")

    def weighted(self) -> bool:
        """Whether anything beyond households counts."""
        return bool(self.events_per_month or self.special or self.area_ha)


SUGGESTED = LoadWeights(events_per_month=1.0, special=2.0, area_ha=1.0)


def attach_load(session: Session, scope: Scope, weights: LoadWeights | None = None) -> None:
    """Give every atom of ``scope`` its ``load`` column (cells must be attached; metric CRS)."""
    atoms = scope.atoms
    load = atoms["households"].to_numpy(dtype=float).copy()
    if weights is not None and weights.weighted():
        cells = atoms["cell"].to_numpy()
        load += weights.area_ha * shapely.area(cells) / 10_000
        if weights.special:
            load += weights.special * _special(session, atoms["building_id"].to_numpy())
        if weights.events_per_month:
            events = _events(session, scope, cells) / EVENT_MONTHS
            load += weights.events_per_month * events
    atoms["load"] = load


def _special(session: Session, building_ids: np.ndarray) -> np.ndarray:
    """Residents of special groups per building (same order)."""
    query = text("""SELECT building_id, count(*) AS n FROM resident
                    WHERE building_id = ANY(:ids) AND categories && CAST(:cats AS varchar[])
                    GROUP BY building_id""").bindparams(
        bindparam("ids", type_=ARRAY(INTEGER)), bindparam("cats", type_=ARRAY(TEXT)))
    rows = pd.read_sql(query, session.connection(), params={
        "ids": building_ids.astype(int).tolist(), "cats": list(SPECIAL_CATEGORIES)})
    counts = rows.set_index("building_id")["n"]
    return pd.Series(building_ids).map(counts).fillna(0).to_numpy(dtype=float)


def _events(session: Session, scope: Scope, cells: np.ndarray) -> np.ndarray:
    """Events of the last EVENT_MONTHS months per cell (points in metric CRS; one STRtree)."""
    frame = frame_from_sql(session, """
        SELECT geom FROM event
        WHERE geom IS NOT NULL AND community_code = ANY(:c)
          AND reported_at >= now() - make_interval(months => :m)""",
                           {"c": scope.communities["code"].tolist(), "m": EVENT_MONTHS})
    if frame.empty:
        return np.zeros(len(cells))
    points = gpd.GeoSeries(frame["geom"], crs=4490).to_crs(scope.epsg).to_numpy()
    hit_point, hit_cell = shapely.STRtree(cells).query(points, predicate="within")
    _, first = np.unique(hit_point, return_index=True)  # a point on a shared edge counts once
    return np.bincount(hit_cell[first], minlength=len(cells)).astype(float)
