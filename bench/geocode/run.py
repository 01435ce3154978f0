"""Benchmark: geocoding free-text addresses as callers write them, ours versus plain pg_trgm.

Queries are made from demo buildings (seed 42) in three styles callers use:

  written     province/city/district names, Chinese numerals, 幢 and a unit/room
              (江苏省连云港市海州区朐阳路一百九十二号四十六幢2单元502室)
  compound    the compound (小区) name and the building number in Chinese numerals with 号楼
              (金港花园四十六号楼), no street
  full_width  city/district names, full-width digits and 座 (连云港市海州区朐阳路１９２号４６座)

  ours        gis.places.geocode.geocode_many: normalisation (cpca admin names, cn2an numerals,
              栋 variants), street and compound forms, one SQL statement for all queries
  pg_trgm     the usual recipe, on the query as written: one statement ranking every
              building by ``similarity(address, query)``, best first (no ``%`` threshold, so
              it always names a building: with the default 0.3 threshold it finds none of
              these queries at all, the extra trigrams of the admin names, numerals and
              room numbers pull every similarity below it)

Scores: top-1 is the right building; for ours also how many answers are ``clear`` (placed
without a dispatcher) and how many of those are wrong. Writes bench/results/geocode.json;
``python -m bench geocode``. BENCH_GEOCODE_BUILDINGS (default 1000) buildings are sampled.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import cn2an
import numpy as np
import pandas as pd
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gis import demo  # noqa: E402
from gis.core.settings import Settings  # noqa: E402
from gis.places import geocode  # noqa: E402
from tests import dbs  # noqa: E402  (throw-away database helpers)

BUILDINGS = int(os.environ.get("BENCH_GEOCODE_BUILDINGS", "1000"))
ADDRESS = re.compile(r"(?P<street>.+?)(?P<door>\d+)号(?P<building>\d+)栋$")
TRGM_SQL = """
SELECT q.ord, b.code
FROM unnest(CAST(:queries AS text[])) WITH ORDINALITY AS q(text, ord)
CROSS JOIN LATERAL (
    SELECT b.code FROM building b
    ORDER BY similarity(b.address, q.text) DESC, b.code LIMIT 1) b
"""


def chinese(number: str) -> str:
    return str(cn2an.an2cn(number, "low"))


def queries(buildings: pd.DataFrame) -> dict[str, list[str]]:
    """The three query styles for each sampled building (see the module docstring)."""
    parts = buildings["address"].str.extract(ADDRESS)
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    return {
        "written": [f"江苏省连云港市海州区{s}{chinese(d)}号{chinese(b)}幢2单元502室"
                    for s, d, b in zip(parts["street"], parts["door"], parts["building"],
                                       strict=True)],
        "compound": [f"{c}{chinese(b)}号楼" for c, b in zip(buildings["compound"],
                                                         parts["building"], strict=True)],
        "full_width": [f"连云港市海州区{s}{d.translate(wide)}号{b.translate(wide)}座"
                       for s, d, b in zip(parts["street"], parts["door"], parts["building"],
                                          strict=True)],
    }


def ours(session: Session, texts: list[str]) -> tuple[list[str | None], list[bool]]:
    found = geocode.geocode_many(session, texts, limit=5)
    best = [c[0]["building_code"] if c else None for c in found]
    clear = [geocode.best_if_clear(c) is not None for c in found]
    return best, clear


def pg_trgm(session: Session, texts: list[str]) -> list[str | None]:
    statement = text(TRGM_SQL).bindparams(bindparam("queries", type_=ARRAY(TEXT)))
    rows = dict(session.execute(statement, {"queries": texts}).all())
    return [rows.get(i + 1) for i in range(len(texts))]


def timed(work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = work()
    return out, time.perf_counter() - started


def score(truth: list[str], best: list[str | None]) -> float:
    return round(float(np.mean([t == b for t, b in zip(truth, best, strict=True)])), 4)


def run(engine: Engine) -> dict:
    with Session(engine) as session:
        buildings = pd.read_sql(text(
            "SELECT code, address, compound FROM building WHERE compound IS NOT NULL "
            "ORDER BY md5(code) LIMIT :n"), session.connection(), params={"n": BUILDINGS})
        buildings = buildings[buildings["address"].str.match(ADDRESS)]
        truth = buildings["code"].tolist()
        # untimed warm-up: cpca's names loaded, the freshly loaded tables' pages read once
        ours(session, queries(buildings.head(50))["written"])
        out: dict[str, dict] = {}
        for style, texts in queries(buildings).items():
            (best, clear), ours_s = timed(lambda t=texts: ours(session, t))
            naive, trgm_s = timed(lambda t=texts: pg_trgm(session, t))
            wrong_clear = sum(c and b != t for c, b, t in zip(clear, best, truth, strict=True))
            out[style] = {
                "queries": len(texts), "example": texts[0],
                "ours": {"top1": score(truth, best), "clear": round(float(np.mean(clear)), 4),
                         "clear_but_wrong": int(wrong_clear), "seconds": round(ours_s, 3)},
                "pg_trgm": {"top1": score(truth, naive), "seconds": round(trgm_s, 3)}}
            print(f"{style:10s} {out[style]}", flush=True)
    return out


def main() -> dict:
    settings = Settings()
    engine = dbs.migrated_database(settings, "bench_geocode")
    try:
        demo.load_demo(engine, seed=42)
        with engine.connect() as conn:  # hint bits and visibility map, as on a live database
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE building")
        styles = run(engine)
    finally:
        dbs.drop_database(settings, engine)
    result = {"buildings": "demo seed 42, sampled by md5(code)", "styles": styles,
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    out = ROOT / "bench" / "results" / "geocode.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
