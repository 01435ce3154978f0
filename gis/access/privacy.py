"""Masking of residents' personal data (ID numbers, phones, names, birth dates) on the way out.

The one rule, applied to whole frames (vectorised pandas string operations):

- a value of a given sort always shows the same parts, wherever it appears (``SHAPES``): a
  phone keeps its first 3 and last 4 digits, an ID number its first 6 (the area) and last 4,
  a name its first character (the surname), so two answers never show different parts of one
  value; a value too short to keep both ends is starred out entirely;
- no other field of the same answer gives a hidden part back (``mask_frame``): the hidden 8
  digits of an 18-digit ID number are exactly the birth date (GB 11643), so whenever
  ``id_number`` is masked, ``birth_date`` is cut to its year ('1990-**-**'); a year and the
  visible check digit still leave about 33 dates possible (tests/gis/access/test_privacy.py
  rebuilds none). Gender is the ID's 17th digit, which is visible anyway.
- free text a caller typed (``FREE_TEXT``: an event's description and address, a timeline
  note) has every ID number (18 digits, or the old 15), mobile phone (with or without
  spaces, dashes, +86), landline with its area code and bank-card-like number (16–19 digits)
  in it masked as its own column would be (``TEXT_RULES``, applied in order, longest first).

Whoever shows a value unmasked decides it with ``may_reveal`` (an explicit request by a role
in PERSONAL_DATA_ROLES) and records it (gis.access.audit).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from gis.access.callers import Caller
from gis.core.errors import Forbidden

SHAPES: dict[str, tuple[int, int]] = {"phone": (3, 4), "id_number": (6, 4), "name": (1, 0),
                                      "old_id_number": (6, 3), "card": (0, 4),
                                      "landline": (0, 4)}
"""Characters kept at the start and end of each sort of value; the middle is starred."""

COLUMNS: dict[str, str] = {"phone": "phone", "reporter_phone": "phone",
                           "id_number": "id_number", "reporter_name": "name",
                           "head_name": "name"}
"""Columns that always hold personal data, and their sort (SHAPES)."""

BIRTH_DATE, ID_NUMBER = "birth_date", "id_number"
FREE_TEXT = ("description", "note", "address")
"""Columns of free text (typed by callers) in which personal numbers are masked."""


def _masked_digits(sort: str) -> Callable[[re.Match[str]], str]:
    """A replacement masking the digits of a match (separators dropped) as ``sort``."""
    def replace(match: re.Match[str]) -> str:
        return mask_one(re.sub(r"[^\dXx]", "", match.group()), sort) or ""
    return replace


def _mobile(match: re.Match[str]) -> str:
    return mask_one(re.sub(r"\D", "", match.group("mobile")), "phone") or ""


def _landline(match: re.Match[str]) -> str:
    local = mask_one(re.sub(r"\D", "", match.group("local")), "landline") or ""
    return f"{match.group('area')}-{local}"


# (?<!\d) and (?!\d) keep a rule inside whole digit runs; a Chinese character next to a
# number is no boundary problem (\w would be: '的' is a word character).
TEXT_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), _masked_digits("id_number")),
    (re.compile(r"(?<!\d)(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?!\d)"),
     _masked_digits("card")),
    (re.compile(r"(?<!\d)\d{14}[\dXx](?!\d)"), _masked_digits("old_id_number")),
    (re.compile(r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?(?P<mobile>1[3-9]\d(?:[ -]?\d{4}){2})(?!\d)"),
     _mobile),
    (re.compile(r"(?<!\d)(?P<area>\(0\d{2,3}\)|0\d{2,3})[ -]?(?P<local>\d{7,8})(?!\d)"),
     _landline),
)
"""Personal numbers in free text and how each is masked, in the order they are applied."""


def mask_values(values: pd.Series, sort: str) -> pd.Series:
    """``values`` (text, NA kept as None) masked as SHAPES[``sort``]: '13812345678' ->
    '138****5678', '320102199001011234' -> '320102********1234', '张三丰' -> '张**'."""
    head, tail = SHAPES[sort]
    text = values.astype("string").str.strip()
    stars = text.str.replace(r".", "*", regex=True)
    middle = (text.str[head:-tail] if tail else text.str[head:]).str.replace(
        r".", "*", regex=True)
    kept = text.str[:head] + middle + (text.str[-tail:] if tail else "")
    out = kept.where(text.str.len() > head + tail, stars)
    return out.astype(object).where(out.notna(), None)


_ANY_CHAR = re.compile(r".")
"""What ``mask_values`` stars: any character but a line break (pandas' ``.`` as re's)."""


def mask_one(value: str | None, sort: str) -> str | None:
    """``mask_values`` of one value in plain Python (one request's values: a pandas Series
    per value cost more than the rest of an event's intake answer)."""
    if not value:
        return value
    head, tail = SHAPES[sort]
    text = str(value).strip()
    if len(text) <= head + tail:
        return _ANY_CHAR.sub("*", text)
    middle = text[head:len(text) - tail]
    return text[:head] + _ANY_CHAR.sub("*", middle) + (text[len(text) - tail:] if tail else "")


def mask_phone(phone: str | None) -> str | None:
    """'13812345678' -> '138****5678'."""
    return mask_one(phone, "phone")


def mask_id_number(id_number: str | None) -> str | None:
    """'320102199001011234' -> '320102********1234' (birth date hidden)."""
    return mask_one(id_number, "id_number")


def mask_name(name: str | None) -> str | None:
    """'张三丰' -> '张**'."""
    return mask_one(name, "name")


def birth_year_only(values: pd.Series) -> pd.Series:
    """Birth dates (dates or ISO text) cut to the year: '1990-01-01' -> '1990-**-**'."""
    years = pd.to_datetime(values, errors="coerce").dt.year.astype("Int64")
    out = years.astype("string") + "-**-**"
    return out.astype(object).where(out.notna(), None)


def mask_text(values: pd.Series) -> pd.Series:
    """Free text with every personal number in it (TEXT_RULES) masked as its own column
    would be: '身份证320102199001011234，电话138-1234-5678' -> '身份证320102********1234，
    电话138****5678'."""
    text = values.astype("string")
    for pattern, replace in TEXT_RULES:
        text = text.str.replace(pattern, replace, regex=True)
    return text.astype(object).where(text.notna(), None)


def mask_in_text(text: str | None) -> str | None:
    """One free text with its personal numbers masked (``mask_text`` of one value, in plain
    Python: the same rules, applied in the same order)."""
    if not text:
        return text
    out = str(text)
    for pattern, replace in TEXT_RULES:
        out = pattern.sub(replace, out)
    return out


def mask_frame(frame: pd.DataFrame, *, reveal: bool = False,
               names: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of ``frame`` with every personal column masked, unless ``reveal``.

    ``names`` are further columns holding a person's name (a resident's ``name``; the same
    column of a facility is no person's). Whenever ``id_number`` is masked, ``birth_date`` is
    cut to the year, because the hidden digits are the birth date. ``attrs`` are kept.
    """
    if reveal:
        return frame
    out = frame.copy()
    sorts = {**COLUMNS, **dict.fromkeys(names, "name")}
    for column in out.columns.intersection(list(sorts)):
        out[column] = mask_values(out[column], sorts[column])
    if ID_NUMBER in out.columns and BIRTH_DATE in out.columns:
        out[BIRTH_DATE] = birth_year_only(out[BIRTH_DATE])
    for column in out.columns.intersection(list(FREE_TEXT)):
        out[column] = mask_text(out[column])
    out.attrs = dict(frame.attrs)
    return out


def mask_record(record: dict, *, reveal: bool = False) -> dict:
    """A copy of one record with its personal fields masked, unless ``reveal``."""
    if reveal:
        return record
    return mask_frame(pd.DataFrame([record])).iloc[0].to_dict()


def may_reveal(caller: Caller, *, requested: bool) -> bool:
    """Whether ``caller`` gets personal data unmasked: only on an explicit request
    (``requested``, e.g. ``reveal=true``) from a role in PERSONAL_DATA_ROLES; a request from
    another role is Forbidden. Jurisdiction is the reader's business (rows outside the
    caller's region are not read at all). The reveal is to be audited by whoever shows it."""
    if requested and not caller.sees_personal_data:
        raise Forbidden(f"role '{caller.role}' may not see unmasked personal data; leave out "
                        "reveal=true to get masked values")
    return requested
