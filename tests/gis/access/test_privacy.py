"""Masking that no other field undoes: an attacker rebuilds ID numbers from masked answers.

The hidden 8 digits of an 18-digit ID number (GB 11643) are the birth date; with the area
code, the sequence and the check digit visible, a clear birth date gives the whole number
back. ``rebuild`` is that attacker, vectorised; it must rebuild every ID when handed the clear
birth date (so the test can fail) and none from any masked answer gridmap sends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import io
from gis.access import keys, privacy

COMMUNITY = "320706013001"
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = "10X98765432"


def _digits(values: pd.Series, width: int) -> np.ndarray:
    return np.frombuffer(values.to_numpy(dtype=str).astype(f"S{width}").tobytes(),
                         dtype=np.uint8).reshape(-1, width).astype(int) - 48


def _dates() -> pd.DataFrame:
    """Every date 1900-2030 with its contribution to the ID checksum (mod 11)."""
    ymd = pd.Series(pd.date_range("1900-01-01", "2030-12-31").strftime("%Y%m%d"))
    part = (_digits(ymd, 8) * WEIGHTS[6:14]).sum(axis=1) % 11
    return pd.DataFrame({"ymd": ymd, "year": ymd.str[:4], "part": part})


def rebuild(answer: pd.DataFrame) -> pd.Series:
    """The ID numbers the visible fields leave exactly one candidate for (None elsewhere):
    area code and last four of ``id_number``, the birth date (or year) of ``birth_date`` or
    ``birth_year``."""
    masked = answer["id_number"].astype(str)
    birth = answer["birth_date"].astype("string").fillna("")
    full = birth.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    year = birth.str[:4].where(birth.str.match(r"\d{4}"), answer.get("birth_year", pd.NA)
                               ).astype("string")
    known = ((_digits(masked.str[:6], 6) * WEIGHTS[:6]).sum(axis=1)
             + (_digits(masked.str[14:17], 3) * WEIGHTS[14:17]).sum(axis=1))
    need = (pd.Series(masked.str[17].map(CHECK.index)).to_numpy() - known) % 11
    rows = pd.DataFrame({"row": answer.index, "year": year.to_numpy(), "need": need,
                         "ymd": birth.str.replace("-", "").where(full, pd.NA).to_numpy()})
    dates = _dates()
    candidates = rows.merge(dates, left_on=["year", "need"], right_on=["year", "part"],
                            suffixes=("", "_candidate"))
    candidates = candidates[candidates["ymd"].isna() |
                            (candidates["ymd"] == candidates["ymd_candidate"])]
    single = candidates.groupby("row").filter(lambda g: len(g) == 1).set_index("row")
    rebuilt = masked.str[:6] + single["ymd_candidate"].reindex(answer.index) + masked.str[14:]
    return rebuilt.where(single["ymd_candidate"].reindex(answer.index).notna(), None)


def _truth(session: Session) -> pd.DataFrame:
    return pd.read_sql(text("SELECT r.code, r.id_number, to_char(r.birth_date, 'YYYY-MM-DD') "
                            "AS birth_date FROM resident r JOIN building b ON b.id = "
                            "r.building_id WHERE b.community_code = :c"),
                       session.connection(), params={"c": COMMUNITY}).set_index("code")


def _rebuilt(answer: pd.DataFrame, truth: pd.DataFrame) -> int:
    answer = answer.set_index("code")
    return int((rebuild(answer) == truth["id_number"].reindex(answer.index)).sum())


def test_the_attacker_rebuilds_ids_given_clear_birth_dates(demo_session: Session) -> None:
    truth = _truth(demo_session)
    leaky = truth.assign(id_number=truth["id_number"].map(privacy.mask_id_number))
    assert len(truth) > 1000 and _rebuilt(leaky.reset_index(), truth) == len(truth)


def test_no_masked_answer_gives_an_id_back(demo_client: TestClient, demo_session: Session,
                                           tmp_path: Path) -> None:
    truth = _truth(demo_session)
    viewer = {"Authorization": "Bearer " + keys.create_key(demo_session, role="viewer",
                                                           region_code=COMMUNITY)}
    exported = demo_client.get("/api/v1/export/residents", headers=viewer).json()
    api = pd.DataFrame([f["properties"] for f in exported["features"]])
    assert set(api["code"]) == set(truth.index)  # the key's community, all of it
    assert api["birth_date"].str.fullmatch(r"\d{4}-\*\*-\*\*").all()
    grid = demo_session.scalar(text("SELECT code FROM grid WHERE community_code = :c AND "
                                    "theme = 'unified' ORDER BY code LIMIT 1"), {"c": COMMUNITY})
    listed = pd.DataFrame(demo_client.get("/api/v1/residents", headers=viewer, params={
        "grid": grid, "limit": 5000}).json()["items"])
    io.export_file(demo_session, "residents", tmp_path / "r.csv")  # the CLI's, no --reveal
    cli = pd.read_csv(tmp_path / "r.csv", dtype=str)
    for answer in (api, listed, cli[cli["code"].isin(truth.index)]):
        assert len(answer) > 100 and answer["id_number"].str.contains(r"\*{8}").all()
        assert _rebuilt(answer, truth) == 0


def test_one_value_is_masked_as_its_column_would_be() -> None:
    """``mask_one`` and ``mask_in_text`` (plain Python, one request's values) give what the
    vectorised ``mask_values`` and ``mask_text`` give, on hand-picked and random strings
    (digits, separators, +86, X check digits, line breaks, Chinese)."""
    rng = np.random.default_rng(3)
    alphabet = list("0123456789 -+X\n张a()8")
    samples = ["13812345678", "320102199001011234", "张三丰", "a", "  1381234 ", "ab\ncd",
               "我" * 7, "12345678901234567890", " ", "\n12\n345678901\n",
               "+86 138-1234-5678 身份证32010219900101123X 卡6222 0212 3456 7890 123 "
               "电话(0518)85801234 0518-8580123"]
    samples += ["".join(rng.choice(alphabet, size=int(rng.integers(1, 30))))
                for _ in range(3000)]
    for sort in privacy.SHAPES:
        expected = privacy.mask_values(pd.Series(samples, dtype=object), sort).tolist()
        assert [privacy.mask_one(v, sort) for v in samples] == expected, sort
    expected = privacy.mask_text(pd.Series(samples, dtype=object)).tolist()
    assert [privacy.mask_in_text(v) for v in samples] == expected
    assert privacy.mask_in_text("电话13812345678") == "电话138****5678"
