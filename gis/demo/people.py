"""Households and residents (一户一档) of the demo buildings: fake but plausible personal data.

Names, 18-digit ID numbers with a valid GB 11643 check digit, mobile numbers, gender, birth
dates consistent with the relation to the household head, and categories at realistic rates.
Everything is drawn vectorised from one ``numpy`` Generator; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd

from gis.demo import names

REFERENCE_DATE = dt.date(2026, 11, 1)  # ages are reckoned on this day
SIZE_P = (0.25, 0.33, 0.22, 0.13, 0.05, 0.02)  # household sizes 1..6, mean ≈ 2.46
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def or_none(keep: npt.ArrayLike, values: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """``values`` where ``keep``, None elsewhere (an object array, as the tables' NULLs)."""
    return np.where(keep, values, np.array(None, dtype=object))


def id_check_digit(first17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters for an (n, 17) array of digits."""
    return _ID_CHECK[(first17 * _ID_WEIGHTS).sum(axis=1) % 11]


def id_numbers(rng: np.random.Generator, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """18-character ID numbers: 320706 + YYYYMMDD + sequence (odd for men) + check digit."""
    n = birth.size
    ymd = pd.DatetimeIndex(birth).strftime("%Y%m%d").to_numpy().astype(str)
    seq = rng.integers(0, 50, n) * 10 + rng.integers(0, 5, n) * 2 + male.astype(int)
    body = np.char.add(np.char.add(names.ID_PREFIX, ymd), np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - 48
    return np.char.add(body, id_check_digit(digits.astype(int)))


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mobile numbers of the mainland's real prefixes (11 digits)."""
    prefix = rng.choice(names.PHONE_PREFIXES, n)
    rest = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8)
    return np.char.add(prefix.astype(str), rest)


def person_names(rng: np.random.Generator, surname: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Given names of one or two characters after ``surname``, by gender."""
    n = surname.size
    pool_m, pool_f = np.array(names.GIVEN_MALE), np.array(names.GIVEN_FEMALE)
    first = np.where(male, rng.choice(pool_m, n), rng.choice(pool_f, n))
    second = np.where(male, rng.choice(pool_m, n), rng.choice(pool_f, n))
    second = np.where(rng.random(n) < 0.3, "", second)  # 30% one-character given names
    return np.char.add(np.char.add(surname.astype(str), first), second)


def surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    w = names.SURNAME_WEIGHTS / names.SURNAME_WEIGHTS.sum()
    return rng.choice(np.array(names.SURNAMES), n, p=w)


def make_households(rng: np.random.Generator, buildings: pd.DataFrame) -> pd.DataFrame:
    """One row per household: building key, unit, room, code, size (head filled later)."""
    counts = buildings["households"].to_numpy()
    b = np.repeat(np.arange(len(buildings)), counts)
    k = np.arange(b.size) - np.repeat(np.cumsum(counts) - counts, counts)
    capacity = buildings["capacity"].to_numpy()[b]
    slot = (k * capacity) // np.maximum(counts[b], 1)  # spread over the building's flats
    floors = buildings["floors"].to_numpy()[b]
    per_unit = np.maximum(capacity // np.maximum(buildings["units"].to_numpy()[b], 1), 1)
    per_floor = np.maximum(per_unit // np.maximum(floors, 1), 1)
    unit, in_unit = np.divmod(slot, per_unit)
    floor, door = np.divmod(in_unit, per_floor)
    lowrise = buildings["style"].to_numpy()[b] == "lowrise"
    room = np.char.add((floor + 1).astype(str), np.char.zfill((door + 1).astype(str), 2))
    frame = pd.DataFrame({
        "building": b,
        "unit": or_none(~lowrise, np.char.add((unit + 1).astype(str), "单元")),
        "room": or_none(~lowrise, room),
        "size": rng.choice(np.arange(1, 7), b.size, p=SIZE_P),
    })
    frame["code"] = buildings["code"].to_numpy()[b] + "-H" + pd.Series(k + 1).astype(
        str).str.zfill(3).to_numpy()
    frame["floating"] = rng.random(b.size) < 0.09  # 流动人口 households (renters)
    frame["low_income"] = rng.random(b.size) < 0.015  # 低保户
    return frame


def _relations(rng: np.random.Generator, pos: np.ndarray) -> np.ndarray:
    """Relation to the head by position in the household (0 is the head)."""
    second = rng.choice(names.RELATIONS[1:4], pos.size, p=[0.85, 0.1, 0.05])
    later = rng.choice(names.RELATIONS[2:], pos.size, p=[0.7, 0.13, 0.12, 0.03, 0.02])
    return np.select([pos == 0, pos == 1], [names.RELATIONS[0], second], later)


def _ages(rng: np.random.Generator, head_age: np.ndarray, relation: np.ndarray) -> np.ndarray:
    n = relation.size
    offset = np.select(
        [relation == "户主", relation == "配偶", relation == "子女", relation == "父母",
         relation == "孙子女"],
        [0, rng.normal(-2, 3, n), -rng.normal(28, 4, n), rng.normal(27, 3, n),
         -rng.normal(55, 5, n)],
        rng.normal(0, 6, n))
    return np.clip(head_age + offset, 0, 99)


def make_residents(rng: np.random.Generator, households: pd.DataFrame) -> pd.DataFrame:
    """One row per resident with name, ID number, phone, gender, birth date, relation and
    categories (a PostgreSQL array literal, built vectorised)."""
    size = households["size"].to_numpy()
    h = np.repeat(np.arange(len(households)), size)
    pos = np.arange(h.size) - np.repeat(np.cumsum(size) - size, size)
    relation = _relations(rng, pos)
    head_age = np.clip(rng.normal(52, 15, len(households)), 22, 92)[h]
    age = np.where(pos == 0, head_age, _ages(rng, head_age, relation))
    head_male = (rng.random(len(households)) < 0.62)[h]
    male = np.where(pos == 0, head_male,
                    np.where(relation == "配偶", ~head_male, rng.random(h.size) < 0.5))
    family = surnames(rng, len(households))[h]
    surname = np.where((relation == "配偶") | (relation == "其他"), surnames(rng, h.size), family)
    days = np.round(age * 365.25 + rng.uniform(0, 365, h.size)).astype("timedelta64[D]")
    birth = np.datetime64(REFERENCE_DATE) - days
    adult = age >= 16
    frame = pd.DataFrame({
        "household": h, "name": person_names(rng, surname, male),
        "id_number": id_numbers(rng, birth, male),
        "phone": or_none(adult & (rng.random(h.size) < 0.93), phones(rng, h.size)),
        "gender": np.where(male, "M", "F"), "birth_date": birth, "relation": relation,
        "age": age})
    frame["code"] = households["code"].to_numpy()[h] + "-" + pd.Series(pos + 1).astype(
        str).to_numpy()
    frame["categories"] = _categories(rng, frame, households, size[h] == 1)
    return frame


def _categories(rng: np.random.Generator, frame: pd.DataFrame, households: pd.DataFrame,
                alone: np.ndarray) -> np.ndarray:
    """PostgreSQL array literals such as ``{floating,party_member}`` (rates per person)."""
    n, age = len(frame), frame["age"].to_numpy()
    h = frame["household"].to_numpy()
    flags = {
        "floating": households["floating"].to_numpy()[h],
        "elderly_alone": alone & (age >= 65),
        "party_member": (age >= 18) & (rng.random(n) < 0.085),
        "disabled": rng.random(n) < 0.025,
        "low_income": households["low_income"].to_numpy()[h],
        "veteran": (frame["gender"].to_numpy() == "M") & (age >= 30) & (rng.random(n) < 0.03),
        "minor_left_behind": (age < 16) & (rng.random(n) < 0.02),
        "key_care": rng.random(n) < 0.003,
    }
    text = np.full(n, "", dtype=object)
    for code, on in flags.items():  # eight categories, each one vectorised step
        text = np.where(on, text + code + ",", text)
    return np.char.add(np.char.add("{", pd.Series(text).str.rstrip(",").to_numpy().astype(
        str)), "}")
