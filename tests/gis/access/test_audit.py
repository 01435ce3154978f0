"""The audit trail takes counts and codes, never a record or a frame of personal data."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.access import audit
from gis.models import AuditLog


def test_reveal_is_one_row_of_counts(session: Session) -> None:
    audit.record_reveal(session, actor="key:7:dispatcher", kind="residents",
                        target="building:B1", rows=3)
    row = session.scalars(select(AuditLog)).one()
    assert (row.action, row.target, row.details) == (
        "reveal_personal_data", "building:B1", {"kind": "residents", "rows": 3})


def test_personal_values_cannot_slip_in(session: Session) -> None:
    with pytest.raises(ValueError, match="counts and codes only, not people"):
        audit.record(session, actor="cli", action="export",
                     people=pd.DataFrame({"id_number": ["320706199001011234"]}))
    assert session.scalars(select(AuditLog)).all() == []
