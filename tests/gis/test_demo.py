"""The demo district: deterministic generation, plausible counts, clean geometry, loaded db."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis import demo
from gis.demo import names, people


@pytest.fixture(scope="module")
def data() -> demo.DemoData:
    return demo.generate(42)


def _fingerprint(d: demo.DemoData) -> str:
    wkb = shapely.to_wkb(np.asarray(d.buildings.geometry), output_dimension=2)
    digest = hashlib.sha256()
    for geom, address in zip(wkb, d.buildings["address"], strict=True):
        digest.update(geom)
        digest.update(address.encode())
    digest.update("".join(d.residents["id_number"]).encode())
    return digest.hexdigest()


def test_same_seed_same_data_other_seed_differs(data: demo.DemoData) -> None:
    assert _fingerprint(demo.generate(42)) == _fingerprint(data)
    assert _fingerprint(demo.generate(7)) != _fingerprint(data)


def test_counts_in_the_stated_ranges(data: demo.DemoData) -> None:
    assert len(data.regions) == 8
    assert 2000 <= len(data.buildings) <= 3000
    assert 22_000 <= data.buildings["households"].sum() <= 28_000
    assert len(data.households) == data.buildings["households"].sum()
    assert 54_000 <= len(data.residents) <= 66_000
    assert len(data.residents) == data.buildings["residents"].sum()
    unified = data.grids[data.grids["theme"] == "unified"]
    assert 50 <= len(unified) <= 70
    assert set(unified["kind"]) >= {"residential", "commercial", "special"}
    assert 18_000 <= len(data.events) <= 22_000


def test_id_numbers_have_valid_check_digits(data: demo.DemoData) -> None:
    ids = data.residents["id_number"].to_numpy().astype(str)
    assert all(len(i) == 18 and i.startswith(names.ID_PREFIX) for i in ids[:1000])
    digits = np.frombuffer(ids.astype("S18").tobytes(), dtype=np.uint8).reshape(-1, 18)
    check = people.id_check_digit(digits[:, :17].astype(int) - 48)
    assert (check == np.char.decode(digits[:, 17:].copy().view("S1").ravel())).all()


def test_loaded_demo_is_recognised(demo_session: Session) -> None:
    counts = demo_session.execute(text(
        "SELECT (SELECT count(*) FROM building WHERE grid_id IS NULL),"
        " (SELECT count(*) FROM building),"
        " (SELECT count(*) FROM event WHERE grid_id IS NOT NULL)")).one()
    assert counts[0] == 0 and counts[1] > 2000 and counts[2] > 15_000
    assert demo.load.is_loaded(demo_session)
    assert demo.load.other_rows(demo_session) == 0
