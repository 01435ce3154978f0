"""gis.access.jurisdiction: the column form of the rule and narrowing a requested scope."""

from __future__ import annotations

import pandas as pd
import pytest

from gis.access import jurisdiction
from gis.core.errors import Forbidden


def test_inside_series_agrees_with_inside() -> None:
    codes = pd.Series(["320706013001", "320706013004", "320706011001", None, pd.NA])
    for scope in (None, "320706013000", "320706013001", "320706000000"):
        expected = [jurisdiction.inside(c if isinstance(c, str) else None, scope)
                    for c in codes]
        assert jurisdiction.inside_series(codes, scope).tolist() == expected, scope


def test_narrow_defaults_to_the_callers_region_and_refuses_wider() -> None:
    assert jurisdiction.narrow(None, "320706013001") == "320706013001"
    assert jurisdiction.narrow(None, None) is None
    assert jurisdiction.narrow("320706013004", None) == "320706013004"
    assert jurisdiction.narrow("320706013004", "320706013000") == "320706013004"
    for wider_or_beside in ("320706013000", "320706013004"):
        with pytest.raises(Forbidden):
            jurisdiction.narrow(wider_or_beside, "320706013001")
