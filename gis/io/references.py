"""Codes that name other objects, and codes that already exist: one lookup query per column.

Each reference column is resolved with a single ``code = ANY(:codes)`` query over the
distinct codes of the file (never one query per row); the ids found are mapped back onto
the rows with pandas.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.io.kinds import Kind, Ref
from gis.io.report import Checks

# table names below are gridmap's own identifiers; the codes are always bound parameters
LOOKUPS: Final = {
    "region": "SELECT code, NULL::int AS id, NULL::int AS building_id FROM region "
              "WHERE code = ANY(:codes)",
    # a grid code names the current grid; unified grids win over thematic ones of that code
    "grid": "SELECT DISTINCT ON (code) code, id, NULL::int AS building_id FROM grid "
            "WHERE valid_to IS NULL AND code = ANY(:codes) ORDER BY code, theme <> 'unified'",
    "building": "SELECT code, id, NULL::int AS building_id FROM building "
                "WHERE code = ANY(:codes)",
    "household": "SELECT code, id, building_id FROM household WHERE code = ANY(:codes)",
}
EXISTING: Final = {
    "grid": "SELECT theme || '/' || code FROM grid WHERE valid_to IS NULL "
            "AND code = ANY(:codes)",
}


def _lookup(session: Session, target: str, codes: pd.Series) -> pd.DataFrame:
    wanted = sorted({str(c) for c in codes.dropna()})
    rows = session.execute(text(LOOKUPS[target]), {"codes": wanted}).all() if wanted else []
    return pd.DataFrame(rows, columns=["code", "id", "building_id"]).set_index("code")


def existing(session: Session, kind: Kind, frame: pd.DataFrame, checks: Checks) -> None:
    """Reject rows whose code is already taken in the database (per theme for grids)."""
    codes = frame["code"]
    wanted = sorted({str(c) for c in codes.dropna()})
    if not wanted or kind.table is None:
        return
    sql = EXISTING.get(kind.table, f"SELECT code FROM {kind.table} WHERE code = ANY(:codes)")
    taken = set(session.execute(text(sql), {"codes": wanted}).scalars())
    keys = frame["theme"].astype(str) + "/" + codes.astype(str) if kind.table == "grid" \
        else codes.astype(str)
    checks.reject(codes.notna() & keys.isin(taken),
                  "duplicate code '" + codes.astype(str) + "': it already exists")


def resolve(session: Session, kind: Kind, frame: pd.DataFrame, checks: Checks) -> pd.DataFrame:
    """Add the id columns the table needs; reject rows naming objects that do not exist."""
    frame = frame.copy()
    for ref in kind.refs:
        if kind.get(ref.field).kind == "list":
            frame[ref.field + "_ids"] = _resolve_list(session, ref, frame[ref.field], checks)
            continue
        codes = frame[ref.field]
        found = _lookup(session, ref.target, codes)
        _reject_unknown(codes, set(found.index), frame["code"] if ref.also_in_file else None,
                        f"unknown {ref.target} '" + codes.astype(str) + f"' in {ref.field}",
                        checks)
        if ref.id_column:
            frame[ref.id_column] = codes.map(found["id"]).astype("Int64")
        if ref.target == "household":
            frame["household_building_id"] = codes.map(found["building_id"]).astype("Int64")
    if kind.name == "residents":
        _resident_building(frame, checks)
    return frame


def _reject_unknown(codes: pd.Series, known: set[str], own: pd.Series | None,
                    reason: pd.Series, checks: Checks) -> None:
    """Reject rows naming codes neither in ``known`` nor among the file's good rows.

    A parent rejected itself takes its children with it, so passes repeat until nothing
    changes (as many passes as the hierarchy is deep: a loop over levels, not rows).
    """
    while True:
        allowed = known | (set(own[checks.ok].dropna().astype(str)) if own is not None
                           else set())
        bad = codes.notna() & ~codes.astype(str).isin(allowed) & checks.ok
        if not bad.any():
            return
        checks.reject(bad, reason)


def _resolve_list(session: Session, ref: Ref, lists: pd.Series, checks: Checks) -> pd.Series:
    flat = lists.explode().dropna()
    found = _lookup(session, ref.target, flat)
    unknown = flat[~flat.astype(str).isin(set(found.index))]
    listed = unknown.groupby(level=0).agg(lambda s: ", ".join(map(str, s)))
    bad = pd.Series(lists.index.isin(listed.index), index=lists.index)
    checks.reject(bad, f"unknown {ref.target} in {ref.field}: " +
                  listed.reindex(lists.index).fillna("").astype(str))
    ids = flat.map(found["id"])
    return ids.groupby(level=0).agg(list).reindex(lists.index).map(
        lambda v: v if isinstance(v, list) else [])


def _resident_building(frame: pd.DataFrame, checks: Checks) -> None:
    """A resident lives in the household's building; a building_code given must agree."""
    own, via = frame["building_id"], frame["household_building_id"]
    checks.reject(own.notna() & via.notna() & (own != via),
                  "building_code is not the building of household '"
                  + frame["household_code"].astype(str) + "'")
    frame["building_id"] = own.fillna(via)
