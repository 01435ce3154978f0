"""CQL2 filters (OGC API – Features Part 3) as a bound SQL condition over a list's output.

pygeofilter parses CQL2 text and JSON and turns the tree into a SQLAlchemy expression over a
``src`` relation whose columns are the collection's queryables; compiled with named
parameters, every literal stays a bound value (never formatted into SQL). Geometry literals
are CRS84/WGS84 (SRID 4326) unless the filter says otherwise; gridmap's EPSG:4490 equals
WGS84 within centimetres, so the stored geometry is compared under SRID 4326.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from geoalchemy2 import Geometry
from pygeofilter.backends.sqlalchemy.evaluate import to_filter
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text
from sqlalchemy import Boolean, DateTime, Float, Integer, String, column, func, table, type_coerce
from sqlalchemy.dialects.postgresql import psycopg2

from gis.core.errors import BadQueryParameter

LANGUAGES = ("cql2-text", "cql2-json")
TYPES: dict[str, Any] = {"string": String(), "integer": Integer(), "number": Float(),
                         "boolean": Boolean(), "date-time": DateTime(timezone=True)}
_DIALECT = psycopg2.dialect(paramstyle="named")  # no ::TYPE casts after binds
_PARAM = re.compile(r":(\w+)")


def where_clause(text: str, *, lang: str = "cql2-text", queryables: Mapping[str, str],
                 geometry: bool = True) -> tuple[str, dict[str, Any]]:
    """The SQL condition over ``src`` of CQL2 ``text`` (in ``lang``) and its bound values
    (named ``cql_*``). ``queryables`` maps property → JSON type (or "date-time"); the
    geometry is ``geometry``. BadQueryParameter (a 400) for a filter that does not parse
    or names another property."""
    if lang not in LANGUAGES:
        raise BadQueryParameter(f"filter-lang must be one of {', '.join(LANGUAGES)}")
    try:
        tree = parse_json(text) if lang == "cql2-json" else parse_text(text)
    except Exception as exc:  # lark and json errors alike: the caller's filter is wrong
        raise BadQueryParameter(f"filter is not valid {lang}: {str(exc)[:200]}") from None
    src = table("src", *(column(name, TYPES.get(kind, String()))
                         for name, kind in queryables.items()), column("geom", Geometry()))
    fields: dict[str, Any] = {name: src.c[name] for name in queryables}
    if geometry:
        fields["geometry"] = type_coerce(func.ST_SetSRID(src.c.geom, 4326), Geometry(srid=4326))
    try:
        condition = to_filter(tree, fields, undefined_as_null=False)
    except KeyError as exc:
        raise BadQueryParameter(f"filter names {exc}, not a queryable property: use "
                                f"{', '.join(fields)}") from None
    except Exception as exc:  # an operator pygeofilter cannot turn into SQL
        raise BadQueryParameter(f"filter cannot be evaluated: {str(exc)[:200]}") from None
    # render_postcompile: IN lists become one bound value each, not an expanding parameter
    compiled = condition.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    params = dict(compiled.params)
    sql = _PARAM.sub(lambda m: f":cql_{m[1]}" if m[1] in params else m[0], str(compiled))
    return sql, {f"cql_{name}": value for name, value in params.items()}
