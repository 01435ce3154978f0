"""Jurisdiction (辖区): the one rule for "is this unit inside the caller's region".

Region codes nest by prefix (GB/T 2260 + GB/T 10114): every unit inside a region shares the
region's significant leading digits. The rule is written once in Python (``inside``; for a
whole column ``inside_series``) and once in SQL (the function ``gm_in_region(unit_code,
region_prefix)`` of migration 0005, used as ``gm_in_region(<unit code>, :scope)`` with
``:scope`` bound to ``scope_prefix(scope)``). The SQL function is a one-line ``LANGUAGE sql
IMMUTABLE`` function, so PostgreSQL inlines it and the prefix index on events' unit code
(migration 0004) still serves it.
"""

from __future__ import annotations

import pandas as pd

from gis.core.errors import Forbidden

REGION_CODE_LEVELS = (2, 4, 6, 9, 12)
"""Significant digits of province, city, county, township (街道) and village (社区) codes
(GB/T 2260 + GB/T 10114): a code's children share its first so many digits."""

SQL_PREDICATE = "gm_in_region"
"""The SQL function holding the rule (migration 0005): NULL prefix means everywhere."""


def region_prefix(code: str) -> str:
    """The leading digits every code inside region ``code`` shares ('320706010000' ->
    '320706010'); by level, not by stripping zeros: '320706010000'.rstrip('0') would also
    match township 320706011."""
    for size in REGION_CODE_LEVELS:
        if code[size:].strip("0") == "":
            return code[:size]
    return code


def scope_prefix(scope: str | None) -> str | None:
    """The value to bind as ``:scope`` of ``gm_in_region`` for region ``scope`` (None:
    everywhere)."""
    return None if scope is None else region_prefix(scope)


def inside(code: str | None, scope: str | None) -> bool:
    """True when unit ``code`` lies inside region ``scope`` (None scope: everywhere).

    One-way: a community key is not inside its district, and a unit with no code (an event
    not yet placed) is inside no region.
    """
    return scope is None or (code is not None and code.startswith(region_prefix(scope)))


def check_inside(code: str | None, scope: str | None, what: str) -> None:
    """Forbidden (403) unless ``code`` lies inside ``scope``."""
    if not inside(code, scope):
        raise Forbidden(f"{what} is outside your jurisdiction {scope} (不在您的辖区)",
                        scope=scope)


def inside_series(codes: pd.Series, scope: str | None) -> pd.Series:
    """``inside`` for a whole column of unit codes at once (vectorised; NA is inside no
    region, every code is inside when ``scope`` is None)."""
    if scope is None:
        return pd.Series(True, index=codes.index)
    text = codes.astype("string")
    return text.str.startswith(region_prefix(scope)).fillna(False).astype(bool)


def narrow(requested: str | None, scope: str | None, what: str = "scope") -> str | None:
    """The region a request reads: ``requested`` when it lies inside the caller's ``scope``
    (Forbidden otherwise), the caller's ``scope`` when nothing is requested."""
    if requested is None:
        return scope
    check_inside(requested, scope, f"{what} {requested}")
    return requested
