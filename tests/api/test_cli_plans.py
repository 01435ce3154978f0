"""``gridmap plan show|workers|apply``: the change figures, staffing warnings, picks and the
confirmation, on a database of its own (the command line commits)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from api.cli import main
from gis import plans
from gis.core.settings import Settings
from tests import dbs
from tests.builders import make_worker
from tests.plan_cases import PAST, make_lattice


@pytest.fixture
def plan_db(base_settings: Settings, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[tuple[Engine, int]]:
    """A database with the lattice, one worker on G1, two spare workers and a drawn plan."""
    engine = dbs.migrated_database(base_settings, "cliplans")
    with Session(engine) as session:
        community, grids, _ = make_lattice(session, valid_from=PAST)
        make_worker(session, code="WA", grids=[grids["G1"]])
        make_worker(session, code="WS1")
        plan_id = plans.create_plan(session, kind="balance", scope_code=community,
                                    created_by="t").id
        session.commit()
    with dbs.cli_pointed_at(engine, base_settings, monkeypatch):
        yield engine, plan_id
    dbs.drop_database(base_settings, engine)


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         *args: str) -> tuple[int | str | None, str, str]:
    monkeypatch.setattr(sys, "argv", ["gridmap", *args])
    code: int | str | None = 0
    try:
        main()
    except SystemExit as exited:
        code = exited.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_show_warns_apply_refuses_then_picks_and_confirms(
        plan_db: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, plan_id = plan_db
    code, out, _ = _run(monkeypatch, capsys, "plan", "show", str(plan_id))
    assert code == 0
    assert "buildings reassigned 50" in " ".join(out.split())
    gaps = re.findall(r"! #(\d+) (\d{15}) \(residential\): no grid worker", out)
    assert len(gaps) == 5
    code, _, err = _run(monkeypatch, capsys, "plan", "apply", str(plan_id))
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert all(f"#{seq} ({grid})" in err for seq, grid in gaps)
    code, out, _ = _run(monkeypatch, capsys, "plan", "workers", str(plan_id),
                        f"{gaps[0][0]}=WS1")
    assert code == 0 and len(re.findall(r"no grid worker", out)) == 4
    code, out, _ = _run(monkeypatch, capsys, "plan", "apply", str(plan_id),
                        "--confirm-unstaffed")
    assert code == 0, out
    assert "buildings reassigned: 50" in out and "worker WS1 →" in out
    assert len(re.findall(r"has no grid worker", out)) == 4
