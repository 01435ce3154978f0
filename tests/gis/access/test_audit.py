"""The audit trail takes counts and codes, never a record or a frame of personal data."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import io
from gis.access import audit
from gis.models import AuditLog
from tests.builders import make_building, make_household


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


def test_every_export_of_a_personal_kind_is_audited(session: Session) -> None:
    make_household(session, building=make_building(session), head_name="李四",
                   phone="13900000000")
    io.export_frame(session, "households")  # the command line's, masked
    io.export_frame(session, "households", reveal=True, actor="key:9:admin", origin="10.0.0.7")
    io.export_frame(session, "grids")  # no personal data: not audited
    rows = session.execute(select(AuditLog.actor, AuditLog.action, AuditLog.target,
                                  AuditLog.details).order_by(AuditLog.id)).all()
    assert [tuple(r) for r in rows] == [
        ("cli", "export_masked_personal_data", "households",
         {"rows": 1, "scope": None, "origin": "cli", "masked": True}),
        ("key:9:admin", "export_personal_data", "households",
         {"rows": 1, "scope": None, "origin": "10.0.0.7", "masked": False})]
