"""Jurisdiction of imported rows: a key limited to a region imports only rows inside it.

Each row's region comes from its own code (regions), its ``community_code`` (grids,
buildings, facilities), its building's community (households, residents: one lookup query
over the distinct building ids) or its grids' communities (grid workers: every grid must be
inside). Events and roads carry no region code, so a region-limited key cannot import them.
All vectorised over the frame; references.resolve must have added the id columns first.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.io.kinds import Kind
from gis.io.report import Checks

OWN_CODE = {"regions": "code", "grids": "community_code", "buildings": "community_code",
            "facilities": "community_code"}
VIA_BUILDING = frozenset({"households", "residents"})


def reject_outside(session: Session, kind: Kind, frame: pd.DataFrame, checks: Checks,
                   scope: str | None) -> None:
    """Reject the rows lying outside region ``scope`` (None: a key without a region)."""
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
    inside = jurisdiction.inside_series(units, scope)
    named = units.astype(object).where(units.notna(), "none").astype(str)
    checks.reject(~inside, "region '" + named + f"' is {outside}")


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
