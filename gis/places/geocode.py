"""Free-text Chinese addresses to buildings: normalise, then pg_trgm similarity.

The query is normalised (full-width to half-width, spaces and punctuation dropped, Chinese
numerals in number positions read as digits (十二号 → 12号, 三幢 → 3幢), leading
province/city/district names (real division names, by cpca) and subdistrict/community names
dropped, 幢/座/号楼/# read as 栋, a door and
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
import cpca
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, TEXT
from sqlalchemy.orm import Session

from gis.access import jurisdiction
from gis.core import sql
from gis.core.errors import InvalidInput

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
# Leading province/prefecture/county names (江苏省连云港市海州区, 广西壮族自治区南宁市隆安县,
# 北京市东城区, 江苏连云港海州区) are found by cpca, which knows China's real division names and
# their short forms; the regular expressions used before missed 自治区/自治州/旗/县级市 and
# districts ending in 城区 in 1,105 of 2,850 real county names
# (tests/gis/places/test_geocode_real.py) and cut streets such as 农贸市场路 at 市. cpca also
# reads short names inside street names
# (中山路 → 中山市), so its prefix is taken only when it is a whole name: two characters or
# more, ending like an admin unit. 街道/社区 names are ours, not cpca's: regular expressions.
_COUNTRY = re.compile(r"^中国")
# after a province or prefecture cpca found, a county-level name it does not know (潞州区,
# 龙港市): a few characters ending in 区/县/市/旗, not a compound's 小区/园区… nor a 市场 street
_NEW_COUNTY = re.compile(r"^[^\d区县市旗]{1,5}(?<![小园景社校厂])[区县市旗](?![\d场])")
_SUFFIX_LEFT = re.compile(r"[区县市旗](?!场)(?=.)")
_ADMIN_END = ("省", "市", "区", "县", "旗", "州", "盟", "地区")
_LOCAL_PREFIXES = (
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


def _without_admin_names(values: list[str]) -> list[str]:
    """Each value without its leading province/prefecture/county names (one cpca call)."""
    values = [_COUNTRY.sub("", v) or v for v in values]
    if not values:
        return values
    found = cpca.transform(values)
    out = []
    for value, county, found_tail in zip(values, found["区"], found["地址"], strict=True):
        tail = found_tail if isinstance(found_tail, str) else ""
        prefix = value[: len(value) - len(tail)] if tail else ""
        if _SUFFIX_LEFT.match(tail):  # cpca matched 即墨 of 即墨区: the 区 goes too
            prefix, tail = prefix + tail[0], tail[1:]
        whole = (len(prefix) >= 2 and prefix.endswith(_ADMIN_END) and value.endswith(tail)
                 and not (prefix.endswith("市") and tail.startswith("场")))  # 南京市场路
        if not whole:
            out.append(value)
            continue
        known = isinstance(county, str)  # else a county cpca's data does not know (renamed)
        out.append(tail if known else _NEW_COUNTY.sub("", tail, count=1) or tail)
    return out


def normalize_many(values: Sequence[str]) -> list[str]:
    """The comparable form of each free-text address (see the module docstring)."""
    out = []
    for value in _without_admin_names([_cleaned(v) for v in values]):
        rest = value
        for pattern in _LOCAL_PREFIXES:
            rest = pattern.sub("", rest, count=1) or rest  # never strip everything away
        out.append(_variants(rest))
    return out


def normalize_address(value: str) -> str:
    """The comparable form of one free-text address (see the module docstring)."""
    return normalize_many([value])[0]


def _compound_form(normal: str) -> str:
    mixed = _MIXED.fullmatch(normal)
    name = mixed["name"] + mixed["building"] if mixed else normal
    return _COMPOUND_TAIL.sub("", _COMPOUND_NUMBER.sub(r"\1栋", name))


def search_forms(query: str) -> tuple[str, str, str | None]:
    """(street, compound, compound as written) forms of one free-text address."""
    return search_forms_many([query])[0]


def search_forms_many(queries: Sequence[str]) -> list[tuple[str, str, str | None]]:
    """(street, compound, compound as written) forms of free-text addresses, compared in SQL
    with the building's address and compound key. The street form is ``normalize_address``
    without a compound between door and building number; the compound form drops the street
    and a 小区 before the number; "as written" keeps leading admin names, which some compound
    names begin with (海州区第二人民医院), and is None when there were none."""
    out = []
    for query, normal in zip(queries, normalize_many(queries), strict=True):
        mixed = _MIXED.fullmatch(normal)
        street = mixed["street"] + mixed["building"] if mixed else normal
        compound = _compound_form(normal)
        written = _compound_form(_variants(_cleaned(query)))
        out.append((street, compound, written if written != compound else None))
    return out


def geocode_many(session: Session, queries: Sequence[str], *, limit: int = 5,
                 scope: str | None = None) -> list[list[dict[str, Any]]]:
    """Ranked candidates (best first) among the buildings inside region ``scope`` (the
    caller's jurisdiction; None: everywhere) for each query, in one SQL statement.

    Each candidate: building code, address, compound, score (0..1), ``matched`` ("address" or
    "compound": which form scored), ``exact`` (the normalised form is the address or the
    compound key itself), lon/lat (EPSG:4490, a point inside the building),
    grid_code/grid_name, community_code, and the grid's primary worker's public contact
    (worker_name, worker_phone, worker_supervision_phone).
    """
    forms = search_forms_many(queries)
    names = ("streets", "compounds", "written")
    params: dict[str, Any] = {name: [f[i] for f in forms] for i, name in enumerate(names)}
    statement = text(sql.load("geocode")).bindparams(
        *(bindparam(name, type_=ARRAY(TEXT)) for name in names))
    rows = session.execute(statement, {**params, "limit": limit,
                                       "scope": jurisdiction.scope_prefix(scope)}
                           ).mappings().all()
    out: list[list[dict[str, Any]]] = [[] for _ in queries]
    for row in rows:
        candidate = {k: v for k, v in row.items() if k not in ("ord", "building_id", "grid_id")}
        candidate["score"] = round(float(candidate["score"]), 4)
        out[int(row["ord"]) - 1].append(candidate)
    return out


def geocode(session: Session, query: str, *, limit: int = 5,
            scope: str | None = None) -> dict[str, Any]:
    """Candidates for one address among the buildings inside region ``scope`` (None:
    everywhere), with the normalised query and whether the best is clear."""
    if not query or not query.strip():
        raise InvalidInput("q must be a non-empty address, e.g. 朝阳东路12号3栋")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"q is longer than {MAX_QUERY_CHARS} characters")
    if not 1 <= limit <= 50:
        raise InvalidInput("limit must be between 1 and 50")
    candidates = geocode_many(session, [query], limit=limit, scope=scope)[0]
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
