"""Command: ``gridmap circles`` (compute and cache walking circles, print coverage tables)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.cli import common
from api.cli.common import session
from gis.models.facilities import FACILITY_TYPES
from gis.network import circles, coverage, siting
from layers import catalogue

console = Console()  # the tables go to stdout; messages stay on stderr


def circles_command(
    type: Annotated[list[str] | None, typer.Option(
        "--type", help="facility type (repeat for several); default: every type present")]
        = None,
    minutes: Annotated[float, typer.Option(help="walking time budget in minutes")] = 10,
    speed: Annotated[float, typer.Option(help="metres per minute (4.5 km/h = 75)")] = 50,
    level: Annotated[str, typer.Option(help="grid, community or subdistrict")] = "community",
    sites_k: Annotated[int, typer.Option("--sites", help="also propose K new sites per type")]
        = 0,
) -> None:
    """Compute (and cache) each facility's walking circle and print coverage per type."""
    with session() as s:
        types = type or [t for t in FACILITY_TYPES if s.execute(
            text("SELECT EXISTS (SELECT 1 FROM facility WHERE type = :t)"), {"t": t}).scalar()]
        results = []
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
                "{task.completed}/{task.total}"), TimeElapsedColumn(),
                console=Console(stderr=True)) as bar:
            task = bar.add_task("步行服务圈 circles", total=len(types))
            for t in types:  # one batch per facility type
                bar.update(task, description=f"步行服务圈 {t}")
                results.append(_one_type(s, t, minutes, speed, level, sites_k))
                bar.advance(task)
    _print(results, minutes, speed, level)
    if results and all(r["cover"]["summary"]["buildings"] == 0 for r in results):
        common.console.print(NO_BUILDINGS)


NO_BUILDINGS = ("circles computed and cached; coverage needs buildings, and none are loaded "
                "yet: import them (gridmap import buildings FILE) and run gridmap circles "
                "again")


def _one_type(s: Session, type: str, minutes: float, speed: float, level: str,
              k: int) -> dict[str, Any]:
    started = time.perf_counter()
    rings = circles.list_service_circles(s, type=type, minutes=minutes, speed=speed)
    cover = coverage.get_coverage(s, type=type, minutes=minutes, speed=speed, level=level)
    picks = siting.list_sites(s, type=type, k=k, minutes=minutes, speed=speed)["sites"] \
        if k else []
    return {"type": type, "circles": len(rings), "skipped": len(rings.attrs["skipped"]),
            "area_ha": float(rings["area_m2"].mean() / 10_000) if len(rings) else 0.0,
            "cover": cover, "sites": picks, "seconds": time.perf_counter() - started}


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _type_name(code: str) -> str:
    """A facility type as people read it: 卫生服务站 (clinic)."""
    known = catalogue.FACILITY_TYPES.get(code)
    return f"{known[0]} ({code})" if known else code


def _print(results: list[dict], minutes: float, speed: float, level: str) -> None:
    table = Table(title=f"{minutes:g} 分钟步行（{speed:g} 米/分钟 = {minutes * speed:g} 米）覆盖")
    # units in the headers keep the cells short enough for an 80-column terminal
    for col in ("type", "facilities", "off-net >200m", "circle ha", "covered 户", "total 户",
                "rate", "s"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for r in results:
        summ = r["cover"]["summary"]
        table.add_row(_type_name(r["type"]), str(r["circles"]), str(r["skipped"]),
                      f"{r['area_ha']:.1f}", f"{summ['covered_households']:,}",
                      f"{summ['households']:,}",
                      _rate(summ["rate"]), f"{r['seconds']:.2f}")
    console.print(table)
    for r in results:
        units = Table(title=f"{_type_name(r['type'])}: coverage per {level}")
        for col in ("code", "name", "households", "covered", "rate"):
            units.add_column(col)
        for u in r["cover"]["units"]:
            units.add_row(u["code"] or "—", u["name"] or "—", f"{u['households']:,} 户",
                          f"{u['covered_households']:,} 户", _rate(u["rate"]))
        console.print(units)
        for p in r["sites"]:
            console.print(f"  建议新增 #{p['rank']} at {p['lon']:.6f},{p['lat']:.6f}: "
                          f"+{p['households_gained']} 户, rate after {_rate(p['rate_after'])}")


def register(app: typer.Typer) -> None:
    app.command("circles")(circles_command)
