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
Barriers = Annotated[bool, typer.Option(help="roads wider than a lane, railways and water "
                                             "part grids")]
ACTOR = "cli"


def _draw(kind: str, scope: str, themes: tuple[str, ...], min_h: int | None,
          max_h: int | None, barriers: bool = False) -> None:
    used = household_rules.rules_with(household_rules.rules_from(get_settings()),
                                      residential_min=min_h, residential_max=max_h)
    with session() as s:
        plan = plans.create_plan(s, kind=kind, scope_code=scope, created_by=ACTOR,
                                 themes=themes, rules=used, barriers=barriers)
        _print(plans.plan_report(s, plan.id))


@plan_app.command("balance")
def balance(scope: Scope, min_households: MinH = None, max_households: MaxH = None,
            barriers: Barriers = False) -> None:
    """Draw a plan that splits oversized and merges undersized grids, changing little else."""
    _draw("balance", scope, (), min_households, max_households, barriers)


@plan_app.command("merge")
def merge(scope: Scope,
          themes: Annotated[str, typer.Option(help="comma-separated thematic layers")] =
          "party,security,civil",
          min_households: MinH = None, max_households: MaxH = None,
          barriers: Barriers = False) -> None:
    """Draw a unified layer (多格合一) from the thematic layers."""
    chosen = tuple(t.strip() for t in themes.split(",") if t.strip())
    _draw("merge", scope, chosen, min_households, max_households, barriers)


@plan_app.command("show")
def show(plan_id: int, crosswalk: Annotated[bool, typer.Option(help="print the crosswalk")]
         = False) -> None:
    """Metrics before/after and the proposed grids of a plan."""
    with session() as s:
        report = plans.plan_report(s, plan_id)
    _print(report, crosswalk=crosswalk)


@plan_app.command("apply")
def apply(plan_id: int, confirm_unstaffed: Annotated[bool, typer.Option(
        help="apply even when a new residential grid has no grid worker")] = False) -> None:
    """Apply a draft plan (one transaction; nothing changes on any error)."""
    with session() as s:
        changes = plans.apply_plan(s, plan_id, actor=ACTOR,
                                   confirm_unstaffed=confirm_unstaffed)
    c = changes["changes"]
    at = clock.local_text(datetime.fromisoformat(changes["applied_at"]))
    console.print(f"plan {plan_id} applied at {at} (Beijing time)")
    console.print(f"retired: {', '.join(c['grids_retired'])}")
    console.print(f"created: {', '.join(c['grids_created'])}")
    console.print(f"buildings reassigned: {c['buildings_reassigned']}, households: "
                  f"{c['households_reassigned']}, residents: {c['residents_reassigned']}, "
                  f"not-closed events: {c['events_reassigned']}")
    for w in changes["workers_carried"]:
        console.print(f"worker {w['worker_code']} → {w['to_grid']} ({w['source']})")
    for g in changes["unstaffed"]:
        console.print(f"! #{g['seq']} {g['code']} ({g['kind']}) has no grid worker")


@plan_app.command("workers")
def workers(plan_id: int, picks: Annotated[list[str], typer.Argument(
        help="SEQ=WORKER_CODE (SEQ= clears the pick)")]) -> None:
    """Pick the grid worker of new grids of a draft plan, then show the plan."""
    chosen: dict[int, str | None] = {}
    for pick in picks:
        seq, _, code = pick.partition("=")
        if not seq.isdigit():
            raise typer.BadParameter(f"'{pick}': write SEQ=WORKER_CODE, e.g. 3=W0012")
        chosen[int(seq)] = code or None
    with session() as s:
        plans.set_plan_workers(s, plan_id, chosen, actor=ACTOR)
        _print(plans.plan_report(s, plan_id))


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
    c = report.get("changes") or {}
    if c:
        console.print(f"on apply: {len(c['grids_retired'])} grids retired, "
                      f"{len(c['grids_created'])} created; buildings reassigned "
                      f"{c['buildings_reassigned']}, households {c['households_reassigned']}, "
                      f"residents {c['residents_reassigned']}, not-closed events "
                      f"{c['events_reassigned']}")
    _print_staffing(report.get("staffing") or {})
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


def _print_staffing(staff: dict) -> None:
    """New grids with their proposed workers, then one warning line per unstaffed grid."""
    if staff.get("grids"):
        table = Table(title="grid workers of the new grids")
        for col in ("seq", "code", "kind", "workers"):
            table.add_column(col)
        for g in staff["grids"]:
            names = ", ".join(f"{w['worker_code']} {w['worker_name']} ({w['source']})"
                              for w in g["workers"]) or "—"
            table.add_row(str(g["seq"]), str(g["code"]), str(g["kind"]), names)
        console.print(table)
    for g in staff.get("unstaffed", []):
        console.print(f"! #{g['seq']} {g['code']} ({g['kind']}): no grid worker "
                      "(无网格员; gridmap plan workers ID SEQ=WORKER_CODE)")


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
