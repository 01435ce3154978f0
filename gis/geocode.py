"""Free-text Chinese addresses to buildings: normalise, then pg_trgm similarity.

The query is normalised (full-width to half-width, spaces and punctuation dropped, Chinese
numerals in number positions read as digits (十二号 → 12号, 三幢 → 3幢), leading
province/city/district/subdistrict/community names dropped, 幢/座/号楼/# read as 栋, a door and
building number run together (12-3栋, 12 3栋) split, unit, floor and room numbers dropped).
Two forms of it are compared, in one statement, with every building:

- the street form with the building's standard address (``街路名 + 门牌号 + 号 + 楼号 + 栋``);
- the compound form with the building's compound key, its 小区 name (a trailing 小区 dropped on
  both sides, since callers add or omit it freely) plus the building number of its address.

A building's score is the better of the two similarities. An address-only event is placed
automatically when the best candidate is clear: the only exact match, or score >=
``AUTO_MIN_SCORE`` and at least ``AUTO_MIN_MARGIN`` above the runner-up; otherwise it waits
in ``needs_location`` for a dispatcher. A compound name without a building number ties every
building of the compound, so it is never clear.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import cn2an
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

# A separator between a door number and a building number ("12-3栋", "12 3栋") stands for 号;
# it must go before spaces are dropped, or "12 3栋" would read as building 123.
_DOOR_BUILDING = re.compile(r"(\d)[\s,，、\-—~～]+(\d+)(?=栋|幢|座|号楼|#)")
_DROP = re.compile(r"[\s,，。.、;；:：()（）\[\]【】\"'“”‘’]+")
# Chinese numerals are read only in number positions: right before 号 (also 号楼), 栋, 幢, 座,
# 单元, 室, 层, 户. Names keep theirs: 三里屯, 十里铺, 一品苑, 第二人民医院, 五一路 have the
# numeral before an ordinary character, and converting every numeral (as cn2an's transform
# does) would turn them into 3里屯 and miss the building. A bare 楼 is left out on purpose:
# "三楼" is a floor (dropped anyway after a building number) and names such as 天一楼 exist.
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千幺]+(?=号|栋|幢|座|单元|室|层|户)")
_ORDINAL = re.compile(r"第(?=\d+(?:号|栋|幢|座|单元|室|层|户))")  # 第三栋 → 3栋
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
    (re.compile(r"(\d+)(?:号楼|#楼|[幢座#])"), r"\1栋"),
    (re.compile(r"(\d+)号(\d+)-[\d-]+$"), r"\1号\2栋"),  # "12号3-501", "12号3-2-501": building 3
    (re.compile(r"(\d+)栋.*$"), r"\1栋"),              # unit, floor and room go
    (re.compile(r"\d+单元.*$"), ""),
    (re.compile(r"(?<=\D)\d+[室户]$"), ""),            # "12号502室": the room goes
)
# "朝阳东路12号阳光小区3栋": street form without the compound, compound form without the street.
_MIXED = re.compile(r"(?P<street>.*?\d+号)(?P<name>\D+?)(?P<building>\d+栋)")
_COMPOUND_NUMBER = re.compile(r"(?<=\D)(\d+)号$")  # in a compound "阳光小区3号" is building 3
_COMPOUND_TAIL = re.compile(r"小区(?=\d+栋$|$)")    # same as the SQL compound key drops


def _arabic(match: re.Match[str]) -> str:
    try:
        return str(cn2an.cn2an(match.group(), "normal"))
    except ValueError:  # not a number after all ("十十"): leave it as written
        return match.group()


def _cleaned(value: str) -> str:
    """Half-width, without spaces and punctuation, Chinese numerals in number positions."""
    out = _DOOR_BUILDING.sub(r"\1号\2", unicodedata.normalize("NFKC", value))
    return _ORDINAL.sub("", _CN_NUMBER.sub(_arabic, _DROP.sub("", out)))


def _variants(value: str) -> str:
    for pattern, replacement in _VARIANTS:
        value = pattern.sub(replacement, value) or value  # "一单元502" alone keeps its unit
    return value


def normalize_address(value: str) -> str:
    """The comparable form of a free-text address (see the module docstring)."""
    out = _cleaned(value)
    for pattern in _PREFIXES:
        out = pattern.sub("", out, count=1) or out  # never strip the whole address away
    return _variants(out)


def _compound_form(normal: str) -> str:
    mixed = _MIXED.fullmatch(normal)
    name = mixed["name"] + mixed["building"] if mixed else normal
    return _COMPOUND_TAIL.sub("", _COMPOUND_NUMBER.sub(r"\1栋", name))


def search_forms(query: str) -> tuple[str, str, str | None]:
    """(street, compound, compound as written) forms of a free-text address, compared in SQL
    with the building's address and compound key. The street form is ``normalize_address``
    without a compound between door and building number; the compound form drops the street
    and a 小区 before the number; "as written" keeps leading admin names, which some compound
    names begin with (海州区第二人民医院), and is None when there were none."""
    normal = normalize_address(query)
    mixed = _MIXED.fullmatch(normal)
    street = mixed["street"] + mixed["building"] if mixed else normal
    compound = _compound_form(normal)
    written = _compound_form(_variants(_cleaned(query)))
    return street, compound, (written if written != compound else None)


def geocode_many(session: Session, queries: Sequence[str], *, limit: int = 5
                 ) -> list[list[dict[str, Any]]]:
    """Ranked candidates (best first) for each query, in one SQL statement.

    Each candidate: building code, address, compound, score (0..1), ``matched`` ("address" or
    "compound": which form scored), ``exact`` (the normalised form is the address or the
    compound key itself), lon/lat (EPSG:4490, a point inside the building),
    grid_code/grid_name, community_code.
    """
    forms = [search_forms(q) for q in queries]
    names = ("streets", "compounds", "written")
    params: dict[str, Any] = {name: [f[i] for f in forms] for i, name in enumerate(names)}
    statement = text(sql.load("geocode")).bindparams(
        *(bindparam(name, type_=ARRAY(TEXT)) for name in names))
    rows = session.execute(statement, {**params, "limit": limit}).mappings().all()
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
    """The best candidate when it is clear enough to place an event without a person: the
    only exact match, or a score lead (trigrams alone cannot tell 11栋 from 111栋, 0.89)."""
    if not candidates:
        return None
    if candidates[0].get("exact") and not any(c.get("exact") for c in candidates[1:]):
        return candidates[0]
    if candidates[0]["score"] < AUTO_MIN_SCORE:
        return None
    runner_up = candidates[1]["score"] if len(candidates) > 1 else 0.0
    return candidates[0] if candidates[0]["score"] - runner_up >= AUTO_MIN_MARGIN else None
