"""Choosing new sites: the river network of test_coverage, where the north bank is unserved."""

from __future__ import annotations

import pytest

from gis.core.errors import InvalidInput
from gis.network import siting
from tests.builders import make_building
from tests.gis.network.test_coverage import river  # noqa: F401  (fixture)
from tests.gis.walknet import at, box_around


def test_one_new_site_serves_the_north_bank(session, river) -> None:  # noqa: F811
    out = siting.list_sites(session, type="party_center", k=1)
    assert out["covered_households_before"] == 15
    (pick,) = out["sites"]
    assert pick["households_gained"] == 20 and pick["buildings_gained"] == 1
    assert out["covered_households_after"] == 35
    assert pick["rate_after"] == pytest.approx(35 / 38, abs=1e-4)
    # the site is on the north bank (a node there: a bridge end or the bank's end)
    assert pick["lat"] > at(0, 90)[1] and pick["node_id"] is not None


def test_greedy_takes_the_biggest_gain_first_and_stops_when_nothing_is_left(
        session, river) -> None:  # noqa: F811
    # F (north-west) and C are served by one site near the west bridge; G (south-east,
    # 590 + 20 = 610 m from the centre) needs another
    make_building(session, code="B-F", geom=box_around(-560, 110), households=7)
    make_building(session, code="B-G", geom=box_around(590, -20), households=4)
    out = siting.list_sites(session, type="party_center", k=3)
    gains = [p["households_gained"] for p in out["sites"]]
    assert gains == sorted(gains, reverse=True) and gains[0] == 27
    assert sum(gains) == 31 and len(gains) == 2


def test_given_candidates_are_ranked(session, river) -> None:  # noqa: F811
    out = siting.list_sites(session, type="party_center", k=1,
                           candidates=[at(580, 100), at(50, 100)])
    assert out["sites"][0]["lon"] == pytest.approx(at(50, 100)[0])
    assert out["sites"][0]["households_gained"] == 20


def test_k_is_bounded(session, river) -> None:  # noqa: F811
    with pytest.raises(InvalidInput):
        siting.list_sites(session, type="party_center", k=0)


def test_greedy_reaches_the_bound_against_brute_force() -> None:
    import itertools

    import numpy as np

    rng = np.random.default_rng(7)
    for _ in range(20):
        cover = rng.random((9, 25)) < 0.25
        weights = rng.integers(1, 40, 25).astype(float)
        for k in (1, 2, 3):
            got = sum(weights[newly].sum() for _, newly in siting.greedy(cover, weights, k))
            best = max(weights[cover[list(c)].any(axis=0)].sum()
                       for c in itertools.combinations(range(9), k))
            assert got >= (1 - 1 / np.e) * best - 1e-9
            if k == 1:
                assert got == best
