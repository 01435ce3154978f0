"""Jurisdiction of imported rows: a key limited to a region imports only rows inside it.

By code: each row's region comes from its own code (regions), its ``community_code`` (grids,
buildings, facilities), its building's community (households, residents: one lookup query
over the distinct building ids) or its grids' communities (grid workers: every grid must be
inside). Events and roads carry no region code, so a region-limited key cannot import them.

By geometry as well: a label is not enough (a grid labelled 001 drawn over 004's ground takes
004's events at the next ``gridmap assign``), so each shape must lie inside the boundary of its
own community (when known) and so inside the key's region (``region`` table). The test runs
in the CGCS2000 3-degree Gauss-Kruger zone of the shapes (gis.core.crs.metric_epsg) with the
boundary widened by TOLERANCE_M for digitising noise; one SQL statement for the whole frame.
All vectorised over the frame; references.resolve must have added the id columns first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import crs, sql
from gis.io.kinds import Kind
from gis.io.report import Checks

OWN_CODE = {"regions": "code", "grids": "community_code", "buildings": "community_code",
            "facilities": "community_code"}
VIA_BUILDING = frozenset({"households", "residents"})
TOLERANCE_M = 1.0
"""How far (metres) a shape may cross its boundary: digitising noise of shared edges."""
MIN_AREA_M2 = 1.0
"""Polygon parts outside smaller than this are arithmetic dust, not ground."""
ADVICE = ("; draw it inside that boundary, or ask an administrator (a key without a region) "
          "to import it")


def reject_outside(session: Session, kind: Kind, frame: pd.DataFrame, checks: Checks,
                   scope: str | None) -> None:
    """Reject the rows lying outside region ``scope`` (None: a key without a region), by
    their codes and then by their shapes (EPSG:4490 ``geom``)."""
    if scope is None:
        return
    outside = f"outside your jurisdiction {scope} (不在辖区内)"
    if kind.name in OWN_CODE:
        units = frame[OWN_CODE[kind.name]]
    elif kind.name in VIA_BUILDING:
        units = _communities(session, "building", frame["building_id"])
    elif kind.name == "grid_workers":
        checks.reject(~_all_grids_inside(session, frame["grid_codes_ids"], scope),
                      f"a grid in grid_codes is {outside}, or none is given")
        return
    else:
        checks.reject(pd.Series(True, index=frame.index),
                      f"{kind.name} carry no community code: a key limited to {scope} cannot "
                      "import them; ask an administrator")
        return
    named = units.astype(object).where(units.notna(), "none").astype(str)
    checks.reject(~jurisdiction.inside_series(units, scope), "region '" + named + f"' is {outside}")
    if "geom" in frame.columns:
        own = None if kind.name == "regions" else units
        reject_reaching_out(session, frame["geom"], checks, scope, units=own)


def reject_reaching_out(session: Session, geoms: pd.Series, checks: Checks, scope: str, *,
                        units: pd.Series | None = None) -> None:
    """Reject the shapes (EPSG:4490) of rows still good that reach outside the boundary of
    their unit (``units``, community codes; NA or None: the key's region ``scope``) by more
    than TOLERANCE_M, with how much lies outside (measured in the Gauss-Kruger zone)."""
    todo = checks.ok & geoms.notna()
    if not todo.any():
        return
    shapes = np.asarray(geoms[todo], dtype=object)
    unit = (units[todo].astype(object).where(units[todo].notna(), None).tolist()
            if units is not None else [None] * len(shapes))
    found = pd.DataFrame(session.execute(text(sql.load("io_outside_region")), {
        "ords": list(range(len(shapes))), "wkbs": list(shapely.to_wkb(shapes)), "units": unit,
        "region": scope, "metric_srid": crs.metric_epsg_of(shapely.total_bounds(shapes)),
        "tolerance_m": TOLERANCE_M, "min_area_m2": MIN_AREA_M2}).mappings().all(),
        columns=["ord", "code", "dim", "outside_m2", "outside_m"])
    hit = pd.Series(False, index=checks.ok.index)
    reasons = pd.Series("", index=checks.ok.index, dtype=object)
    rows = geoms.index[todo][found["ord"].to_numpy(dtype=int)]
    hit[rows] = True
    reasons[rows] = _reasons(found, scope).to_numpy()
    checks.reject(hit, reasons)


def _reasons(found: pd.DataFrame, scope: str) -> pd.Series:
    """'reaches 1.2 ha outside 320706013001 (超出辖区); draw it inside…' for each shape."""
    m2, metres = found["outside_m2"].astype(float), found["outside_m"].astype(float)
    amount = np.select(
        [found["dim"] == 0, found["dim"] == 1, m2 >= 1e3],
        ["lies", "reaches " + metres.round().astype(int).astype(str) + " m",
         "reaches " + (m2 / 1e4).round(1).astype(str) + " ha"],
        "reaches " + m2.round().astype(int).astype(str) + " m²")
    reason = pd.Series(amount, index=found.index) + " outside " + \
        found["code"].fillna(scope).astype(str) + " (超出辖区)" + ADVICE
    unknown = f"the boundary of {scope} is not in gridmap's regions, so the shape cannot be " \
        "checked (超出辖区); ask an administrator to import the region first"
    return reason.where(found["code"].notna(), unknown)


def _communities(session: Session, table: str, ids: pd.Series) -> pd.Series:
    """The community code of each row's ``table`` id (NA where unknown): one query."""
    wanted = sorted({int(i) for i in ids.dropna()})
    # table is one of gridmap's own names (never input); ids are a bound array
    rows = session.execute(text(f"SELECT id, community_code FROM {table} "
                                "WHERE id = ANY(:ids)"), {"ids": wanted}).all() if wanted else []
    lookup = dict(rows)
    return ids.map(lambda i: lookup.get(int(i)) if pd.notna(i) else None).astype(object)


def _all_grids_inside(session: Session, id_lists: pd.Series, scope: str) -> pd.Series:
    """Per row: it names at least one grid and every grid's community lies in ``scope``."""
    flat = id_lists.explode().dropna()
    if flat.empty:
        return pd.Series(False, index=id_lists.index)
    inside = jurisdiction.inside_series(_communities(session, "grid", flat), scope)
    return inside.groupby(level=0).all().reindex(id_lists.index, fill_value=False)
