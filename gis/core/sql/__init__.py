"""SQL that reads better as SQL (tiles, isochrones, bulk assignment), one statement a file."""

import re
from functools import cache
from importlib import resources

from sqlalchemy import TextClause, text

# Comments are stripped before a statement is run: SQLAlchemy turns a ":name" written in a
# comment into a bind parameter too, psycopg2 inlines its quoted value, and PostgreSQL ends
# a "--" comment at a carriage return inside that value, so the rest of the value would be
# read as SQL. No string literal in gis/sql contains "--" (tests/gis/core/test_sql.py checks).
_COMMENT = re.compile(r"--[^\n]*")


@cache
def load(name: str) -> str:
    """The text of ``gis/core/sql/<name>.sql`` without comments (run it with ``text()`` and bound
    parameters)."""
    raw = resources.files(__package__).joinpath(f"{name}.sql").read_text(encoding="utf-8")
    return _COMMENT.sub("", raw)


@cache
def statement(name: str) -> TextClause:
    """``text(load(name))``, built once per process: finding the bind parameters of a long
    statement costs a few hundred microseconds, on every request that runs it otherwise. A
    TextClause is immutable (``bindparams`` returns a copy), so one is shared by all threads."""
    return text(load(name))
