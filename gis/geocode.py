"""Free-text Chinese addresses to buildings: normalise, then pg_trgm similarity.

The query is normalised (full-width to half-width, spaces and punctuation dropped, leading
province/city/district/subdistrict/community names dropped, 幢/座/号楼 read as 栋, unit and
room numbers dropped) and compared with the buildings' standard addresses
(``街路名 + 门牌号 + 号 + 楼号 + 栋``). An address-only event is placed automatically when the
best candidate is clear: score >= ``AUTO_MIN_SCORE`` and at least ``AUTO_MIN_MARGIN`` above
the runner-up; otherwise it waits in ``needs_location`` for a dispatcher.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

from gis import sql
from gis.errors import InvalidInput

AUTO_MIN_SCORE = 0.6
"""Trigram similarity the best candidate needs to be taken without a person (0..1)."""
AUTO_MIN_MARGIN = 0.15
"""How far the best candidate must lead the runner-up to be taken without a person."""
MAX_QUERY_CHARS = 200

# Leading admin names people write before the street address; the district alternative
# refuses names ending like a compound (小区, 园区, 社区 are stripped separately or kept).
_PREFIXES = (
    re.compile(r"^中国"),
    re.compile(r"^[^\d省]{2,7}省"),
    re.compile(r"^[^\d市]{2,7}市"),
    re.compile(r"^[^\d区县]{1,5}(?<![小园景社城校厂])[区县](?!\d)"),
    re.compile(r"^[^\d]{2,8}?街道(?:办事处)?"),
    re.compile(r"^[^\d]{2,8}?社区(?:居委会)?"),
)
_VARIANTS = (
    (re.compile(r"(\d+)号楼"), r"\1栋"),
    (re.compile(r"(\d+)[幢座#]"), r"\1栋"),
    (re.compile(r"(\d+)号(\d+)-\d+$"), r"\1号\2栋"),   # "12号3-501": building 3, room 501
    (re.compile(r"(\d+)栋.*$"), r"\1栋"),              # unit, floor and room go
    (re.compile(r"(\d+)单元.*$"), ""),
)
_DROP = re.compile(r"[\s,，。.、;；:：()（）\[\]【】\"'“”‘’]+")


def normalize_address(value: str) -> str:
    """The comparable form of a free-text address (see the module docstring)."""
    out = _DROP.sub("", unicodedata.normalize("NFKC", value))
    for pattern in _PREFIXES:
        stripped = pattern.sub("", out, count=1)
        if stripped:  # never strip the whole address away
            out = stripped
    for pattern, replacement in _VARIANTS:
        out = pattern.sub(replacement, out)
    return out


def geocode_many(session: Session, queries: Sequence[str], *, limit: int = 5
                 ) -> list[list[dict[str, Any]]]:
    """Ranked candidates (best first) for each query, in one SQL statement.

    Each candidate: building code, address, compound, score (0..1), lon/lat (EPSG:4490, a
    point inside the building), grid_code/grid_name, community_code.
    """
    normal = [normalize_address(q) for q in queries]
    statement = text(sql.load("geocode")).bindparams(bindparam("queries", type_=ARRAY(TEXT)))
    rows = session.execute(statement, {"queries": normal, "limit": limit}).mappings().all()
    out: list[list[dict[str, Any]]] = [[] for _ in queries]
    for row in rows:
        candidate = {k: v for k, v in row.items() if k not in ("ord", "building_id")}
        candidate["score"] = round(float(candidate["score"]), 4)
        out[int(row["ord"]) - 1].append(candidate)
    return out


def geocode(session: Session, query: str, *, limit: int = 5) -> dict[str, Any]:
    """Candidates for one address, with the normalised query and whether the best is clear."""
    if not query or not query.strip():
        raise InvalidInput("q must be a non-empty address, e.g. 朝阳东路12号3栋")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"q is longer than {MAX_QUERY_CHARS} characters")
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and 50")
    candidates = geocode_many(session, [query], limit=limit)[0]
    return {"query": query, "normalized": normalize_address(query),
            "clear": best_if_clear(candidates) is not None, "candidates": candidates}


def best_if_clear(candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The best candidate when it is clear enough to place an event without a person."""
    if not candidates or candidates[0]["score"] < AUTO_MIN_SCORE:
        return None
    runner_up = candidates[1]["score"] if len(candidates) > 1 else 0.0
    return candidates[0] if candidates[0]["score"] - runner_up >= AUTO_MIN_MARGIN else None
