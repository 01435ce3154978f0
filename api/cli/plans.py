"""Commands: ``gridmap plan balance|merge|show|apply|reject``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import session
from gis import plans
from gis.core import clock
from gis.core.settings import get_settings
from gis.grids import household_rules

console = Console()  # reports go to stdout
plan_app = typer.Typer(help="Grid plans: balance, 多格合一 merge, review, apply.",
                       no_args_is_help=True)
Scope = Annotated[str, typer.Option(help="community or subdistrict code (12 digits)")]
MinH = Annotated[int | None, typer.Option(help="residential minimum households (300)")]
MaxH = Annotated[int | None, typer.Option(help="residential maximum households (500)")]
ACTOR = "cli"


def _draw(kind: str, scope: str, themes: tuple[str, ...], min_h: int | None,
          max_h: int | None) -> None:
    used = household_rules.rules_with(household_rules.rules_from(get_settings()),
                                      residential_min=min_h, residential_max=max_h)
    with session() as s:
        plan = plans.create_plan(s, kind=kind, scope_code=scope, created_by=ACTOR,
                                 themes=themes, rules=used)
        _print(plans.plan_report(s, plan.id))


@plan_app.command("balance")
def balance(scope: Scope, min_households: MinH = None, max_households: MaxH = None) -> None:
    """Draw a plan that splits oversized and merges undersized grids, changing little else."""
    _draw("balance", scope, (), min_households, max_households)


@plan_app.command("merge")
def merge(scope: Scope,
          themes: Annotated[str, typer.Option(help="comma-separated thematic layers")] =
          "party,security,civil",
          min_households: MinH = None, max_households: MaxH = None) -> None:
    """Draw a unified layer (多格合一) from the thematic layers."""
    chosen = tuple(t.strip() for t in themes.split(",") if t.strip())
    _draw("merge", scope, chosen, min_households, max_households)


@plan_app.command("show")
def show(plan_id: int, crosswalk: Annotated[bool, typer.Option(help="print the crosswalk")]
         = False) -> None:
    """Metrics before/after and the proposed grids of a plan."""
    with session() as s:
        report = plans.plan_report(s, plan_id)
    _print(report, crosswalk=crosswalk)


@plan_app.command("apply")
def apply(plan_id: int) -> None:
    """Apply a draft plan (one transaction; nothing changes on any error)."""
    with session() as s:
        changes = plans.apply_plan(s, plan_id, actor=ACTOR)
    at = clock.local_text(datetime.fromisoformat(changes["applied_at"]))
    console.print(f"plan {plan_id} applied at {at} (Beijing time)")
    console.print(f"retired: {', '.join(changes['grids_retired'])}")
    console.print(f"created: {', '.join(changes['grids_created'])}")
    console.print(f"buildings reassigned: {changes['buildings_reassigned']}, residents: "
                  f"{changes['residents_reassigned']}, open events: "
                  f"{len(changes['events_reassigned'])}")
    for w in changes["workers_carried"]:
        console.print(f"worker {w['worker_code']}: {w['from_grid']} → {w['to_grid']}")


@plan_app.command("reject")
def reject(plan_id: int) -> None:
    """Reject a draft plan."""
    with session() as s:
        plans.reject_plan(s, plan_id, actor=ACTOR)
    console.print(f"plan {plan_id} rejected")


def _print(report: dict, *, crosswalk: bool = False) -> None:
    m = report["metrics"]
    console.print(f"plan {report['id']} ({report['kind']}, {report['scope_code']}): "
                  f"{report['status']} — map: /map/plans/{report['id']}")
    table = Table(title="before / after")
    for col in ("", "before", "after"):
        table.add_column(col)
    for key in m["before"]:
        table.add_row(key, str(m["before"][key]), str(m["after"][key]))
    console.print(table)
    console.print(f"buildings moved {m['buildings_moved']}, residents reassigned "
                  f"{m['residents_reassigned']}, open events reassigned {m['events_reassigned']}")
    for note in m.get("notes", []) + [f"#{f['seq']} {f['flag']}: {f['reason']}"
                                      for f in m.get("flags", [])]:
        console.print(f"! {note}")
    if crosswalk:
        cw = Table(title="crosswalk")
        for col in ("old_theme", "old_code", "new_seq", "households", "share"):
            cw.add_column(col)
        for row in report["crosswalk"]:
            cw.add_row(*(str(row[c]) for c in ("old_theme", "old_code", "new_seq",
                                               "households", "share")))
        console.print(cw)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
