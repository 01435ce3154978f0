"""SQL files: comments never reach the database, so a bound value can't escape one."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from gis.core import sql
from gis.grids import qa

NAMES = sorted(p.name.removesuffix(".sql") for p in resources.files("gis.core.sql").iterdir()
               if p.name.endswith(".sql"))


@pytest.mark.parametrize("name", NAMES)
def test_loaded_sql_has_no_comments_and_no_literal_with_dashes(name: str) -> None:
    raw = resources.files("gis.core.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
    assert not re.search(r"'[^'\n]*--", raw), "a string literal holds '--': stripping breaks it"
    assert "--" not in sql.load(name)


def test_a_carriage_return_in_a_value_stays_a_value(session) -> None:
    """Before comments were stripped, a ':scope' named in a comment took this value inline and
    PostgreSQL read everything after the carriage return as SQL."""
    hostile = "K\r'; SELECT 1/0; --"
    assert qa.list_qa_issues(session, scope_code=hostile).empty
