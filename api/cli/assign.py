"""``gridmap assign``: buildings to grids (most of their area) and events to grids, set-based."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import console, session
from gis.grids import assign as assigning


def assign(
    community: Annotated[str | None, typer.Option(
        help="only this community's buildings (12-digit code); events are all re-checked")]
        = None,
    buildings: Annotated[bool, typer.Option(help="assign buildings")] = True,
    events: Annotated[bool, typer.Option(help="assign located events")] = True,
) -> None:
    """Re-assign buildings (→ the grid holding most of their area; residents follow) and
    located events (→ covering grid, 50 m rule) after grid changes, set-based (a large
    share of events is written with the event table's indexes rebuilt; README "Bulk")."""
    results: list[tuple[str, str, float]] = []
    with session() as s:
        if buildings:
            started = time.perf_counter()
            with console.status("建筑归属网格 assigning buildings…"):
                changed = assigning.assign_buildings(s, community_code=community)
            results.append(("buildings changed 建筑调整", f"{changed:,}",
                            time.perf_counter() - started))
        if events:
            started = time.perf_counter()
            with console.status("事件归属网格 assigning events…"):
                changed = assigning.assign_events(s)
            results.append(("events re-assigned 事件调整", f"{changed:,}",
                            time.perf_counter() - started))
            counts = assigning.count_event_assignment(s)
            results.append(("located events in a grid 已归属", f"{counts['assigned']:,}", 0.0))
            results.append(("located events outside (> 50 m) 辖区外", f"{counts['outside']:,}",
                            0.0))
    table = Table(title="gridmap assign")
    for column in ("what", "rows", "seconds"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for what, rows, seconds in results:
        table.add_row(what, rows, f"{seconds:.2f}" if seconds else "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(assign)
