"""Command: ``gridmap qa`` (grid load out of range + topology problems, as tables)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from api.cli.common import session
from gis.core.settings import get_settings
from gis.grids import grid_load, household_rules, qa

console = Console()  # the report goes to stdout; messages stay on stderr


def qa_command(
    scope: Annotated[str | None, typer.Option(help="community/subdistrict/district code")] = None,
    theme: Annotated[str, typer.Option(help="unified, party, security, civil, urban")] = "unified",
    details: Annotated[bool, typer.Option(help="list every problem, not only the counts")] = False,
) -> None:
    """Grids out of their household range (with the reason) and topology problems."""
    with session() as s:
        rules = household_rules.rules_from(get_settings())
        grids = grid_load.out_of_range(grid_load.list_grid_load(s, theme=theme, scope_code=scope,
                                                                rules=rules))
        issues = qa.list_qa_issues(s, theme=theme, scope_code=scope)
    table = Table(title=f"户数超出范围的网格 grids out of range ({len(grids)})")
    for col in ("code", "kind", "households", "status", "reason"):
        table.add_column(col)
    for row in grids.to_dict("records"):
        table.add_row(row["code"], row["kind"], str(row["households"]), row["status"],
                      row["reason"])
    console.print(table)
    summary = Table(title="拓扑检查 topology QA")
    for col in ("check", "label", "problems", "area_m2", "buildings"):
        summary.add_column(col)
    for row in qa.summary_from_issues(issues).to_dict("records"):
        summary.add_row(row["check"], row["label"], str(row["problems"]),
                        f"{row['area_m2']:,.1f}", str(row["buildings"]))
    console.print(summary)
    if details:
        _details(issues)


def _details(issues: pd.DataFrame) -> None:
    table = Table(title="问题明细 problems")
    for col in ("check", "community", "grids", "building", "area_m2"):
        table.add_column(col)
    for row in issues.to_dict("records"):
        table.add_row(row["check"], row["community_code"] or "", ",".join(row["grid_codes"] or []),
                      row["building_code"] or "", f"{row['area_m2']:,.1f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("qa")(qa_command)
