"""Field checks of imported rows: required values, types, allowed values, lengths, duplicates.

Each check is one vectorised pandas operation over a column; a loop runs over the KIND's
fields, never over rows.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from gis.core import dates
from gis.io.kinds import Field, Kind
from gis.io.readers import WKT_NAMES, X_NAMES, Y_NAMES
from gis.io.report import Checks

TRUE: Final = {"true", "t", "yes", "y", "1", "是", "1.0"}
FALSE: Final = {"false", "f", "no", "n", "0", "否", "0.0"}
LIST_SEPARATORS: Final = r"[,，、;；]"
LOCAL_TZ: Final = "Asia/Shanghai"
"""Times without an offset are China Standard Time (the data's own clock)."""


def ignored_columns(frame: pd.DataFrame, kind: Kind) -> list[str]:
    """Columns of the file that no field of the kind takes (reported, not imported)."""
    known = {*kind.field_names, "geometry", *X_NAMES, *Y_NAMES, *WKT_NAMES, "id", "fid",
             *(("highway",) if kind.name == "roads" else ())}
    return [str(c) for c in frame.columns if c not in known]


def as_text(values: pd.Series) -> pd.Series:
    """Values as stripped text (object dtype), empty -> NA; 320706.0 reads as '320706'."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_float_dtype(values.dtype):
        # numeric codes arrive as floats from GeoJSON/Shapefile: print whole numbers as digits
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        whole = ~missing & (np.mod(numbers, 1) == 0) & (np.abs(numbers) < 2**63)
        text = values.astype(object).astype(str).to_numpy(dtype=object)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
    else:
        text = values.astype(object).astype(str).to_numpy(dtype=object)
    out = pd.Series(text, index=values.index, dtype=object)
    out[missing] = pd.NA
    out = out.str.strip().astype(object)
    out[~(out.notna() & (out != ""))] = pd.NA
    return out


def clean(frame: pd.DataFrame, kind: Kind, checks: Checks) -> pd.DataFrame:
    """The kind's fields, typed and defaulted, rejecting rows whose values do not fit."""
    out = pd.DataFrame(index=frame.index)
    for spec in kind.fields:
        raw = frame[spec.name] if spec.name in frame.columns else \
            pd.Series(pd.NA, index=frame.index, dtype=object)
        out[spec.name] = _field(as_text(raw), spec, checks)
    if kind.name == "residents":
        checks.reject(out["household_code"].isna() & out["building_code"].isna(),
                      "missing household_code or building_code: a resident needs one")
    return out


def _field(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    missing = text.isna()
    if spec.required:
        checks.reject(missing, "missing code" if spec.name == "code" else
                      f"missing required field '{spec.name}'")
    if spec.default is not None:
        text = text.where(~missing, str(spec.default))
    if spec.pad_to:
        text = _padded(text, spec, checks)
    present = text.notna()
    if spec.length:
        checks.reject(present & (text.str.len() > spec.length),
                      f"{spec.name} is longer than {spec.length} characters")
    if spec.pattern:
        checks.reject(present & ~text.fillna("").str.match(spec.pattern),
                      f"{spec.name} must match {spec.pattern} (e.g. 12 digits for a region)")
    parse = {"int": _int, "bool": _bool, "date": _date, "datetime": _datetime,
             "list": _list}.get(spec.kind, _choice)
    return parse(text, spec, checks)


def _padded(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    """Six- or nine-digit division codes padded with zeros to ``spec.pad_to`` digits."""
    size = spec.pad_to or 0
    short = text.notna() & text.fillna("").str.fullmatch(r"[0-9]{6}|[0-9]{9}")
    if not short.any():
        return text
    checks.repair(short, f"{spec.name} " + text.astype(str) + f" padded to {size} digits")
    return text.where(~short, text.fillna("").str.ljust(size, "0"))


def _choice(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    if not spec.choices:
        return text
    lookup = {c.lower(): c for c in spec.choices} | {k.lower(): v for k, v in spec.aliases.items()}
    mapped = text.str.lower().map(lookup)
    bad = text.notna() & mapped.isna()
    checks.reject(bad, f"unknown {spec.name} '" + text.astype(str) +
                  f"': use one of {', '.join(spec.choices)}")
    out = mapped.astype(object)
    out[bad] = pd.NA
    return out


def _int(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    numbers = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (numbers.isna() | (numbers % 1 != 0))
    checks.reject(bad, f"{spec.name} is not a whole number: '" + text.astype(str) + "'")
    checks.reject(numbers < 0, f"{spec.name} must not be negative")
    return numbers.where(~bad).astype("Int64")


def _bool(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    lower = text.str.lower()
    value = pd.Series(pd.NA, index=text.index, dtype="boolean")
    value[lower.isin(TRUE)] = True
    value[lower.isin(FALSE)] = False
    checks.reject(text.notna() & value.isna(),
                  f"{spec.name} is not true/false: '" + text.astype(str) + "'")
    return value


def _date(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    checks.reject(text.notna() & parsed.isna(),
                  f"{spec.name} is not a date (use YYYY-MM-DD): '" + text.astype(str) + "'")
    _reject_out_of_range(parsed, spec, checks)
    return parsed.dt.date.astype(object).where(parsed.notna(), None)


def _datetime(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    # per value: files mix offsets, and naive times are local (Asia/Shanghai), not UTC
    stamps = pd.to_datetime(text.map(_to_utc, na_action="ignore"), errors="coerce", utc=True)
    checks.reject(text.notna() & stamps.isna(),
                  f"{spec.name} is not a date and time (use ISO 8601, e.g. "
                  "2026-05-01T08:30:00+08:00): '" + text.astype(str) + "'")
    _reject_out_of_range(stamps, spec, checks)
    return stamps.map(lambda t: t.isoformat(), na_action="ignore").astype(object)


def _reject_out_of_range(stamps: pd.Series, spec: Field, checks: Checks) -> None:
    """Reject dates outside gis.core.dates' range (they only ever are typing errors)."""
    years = stamps.dt.year
    checks.reject((years < dates.FIRST_DAY.year) | (years > dates.LAST_DAY.year),
                  f"{spec.name} must lie {dates.ALLOWED}: '" + stamps.astype(str) + "'")


def _to_utc(value: str) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(value)
    except ValueError:
        return None
    if pd.isna(stamp):
        return None
    return (stamp.tz_localize(LOCAL_TZ) if stamp.tzinfo is None else stamp).tz_convert("UTC")


def _list(text: pd.Series, spec: Field, checks: Checks) -> pd.Series:
    items = text.fillna("").map(lambda s: [i.strip() for i in re.split(LIST_SEPARATORS, s)
                                           if i.strip()])
    if spec.choices:
        allowed = set(spec.choices)
        unknown = items.map(lambda xs: ", ".join(x for x in xs if x not in allowed))
        checks.reject(unknown != "", f"unknown {spec.name} '" + unknown +
                      f"': use any of {', '.join(spec.choices)}")
    return items


def duplicates(codes: pd.Series, checks: Checks, *, scope: pd.Series | None = None) -> None:
    """Reject every row whose code (within ``scope``, e.g. a grid theme) repeats in the file."""
    keys = codes if scope is None else scope.astype(str) + "/" + codes.astype(str)
    repeated = codes.notna() & keys.duplicated(keep=False)
    if not repeated.any():
        return
    rows = pd.Series(np.arange(1, len(codes) + 1), index=codes.index)
    listing = rows[repeated].groupby(keys[repeated]).agg(
        lambda r: ", ".join(map(str, r.head(10))))
    checks.reject(repeated, "duplicate code '" + codes.astype(str) + "' in the file (rows "
                  + keys.map(listing).astype(object).fillna("").astype(str) + ")")
