"""EXPLAIN (ANALYZE, BUFFERS) one gis/core/sql statement on the database in use.

``python bench/partition/explain.py NAME key=value ...``: missing parameters are NULL;
values are strings except ``null``, integers and true/false.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from sqlalchemy import text

from gis.core import sql
from gis.core.db import make_engine
from gis.core.settings import get_settings


def value(raw: str) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    return int(raw) if re.fullmatch(r"-?\d+", raw) else raw


def main(name: str, pairs: list[str]) -> None:
    statement = sql.load(name)
    params: dict[str, Any] = dict.fromkeys(re.findall(r"(?<![:\w]):([a-z_]+)", statement))
    params.update({k: value(v) for k, v in (p.split("=", 1) for p in pairs)})
    engine = make_engine(get_settings())  # the server's engine: JIT off
    with engine.connect() as conn:
        for line in conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + statement), params):
            print(line[0])
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
