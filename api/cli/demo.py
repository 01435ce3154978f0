"""Command: gridmap demo [--scale district|city] [--seed N] [--replace] — load the demo
district (苍梧街道, 海州区) or a generated city of 120 such subdistricts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from api.cli.common import console, engine
from gis import demo
from gis.core import schema
from gis.core.errors import Conflict
from gis.demo import city, cityload, names


class Scale(StrEnum):
    district = "district"
    city = "city"


def demo_command(
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same data")] = 42,
    replace: Annotated[bool, typer.Option(
        "--replace", help="delete the demo rows already loaded and load them again")] = False,
    scale: Annotated[Scale, typer.Option(
        help="district: the demo 街道; city: 120 demo-like 街道 in 6 districts (~300,000 "
             "buildings, ~1.08M households, 5M events; an empty database only)")
    ] = Scale.district,
    subdistricts: Annotated[int, typer.Option(
        hidden=True, help="city only: number of subdistricts (1-120)")] = city.SUBDISTRICTS,
    events: Annotated[int, typer.Option(
        hidden=True, help="city only: number of events in all")] = city.EVENTS,
) -> None:
    """Load the demo district: 6 communities, ~2,500 buildings, ~25,000 households,
    ~60,000 residents, ~60 grids, a walking network and 20,000 events (idempotent).
    With --scale city: a city of demo-like subdistricts for scale tests."""
    if scale is Scale.city:
        _city(seed, subdistricts, events)
        return
    eng = engine()
    try:
        schema.upgrade(eng)
        loaded, others = demo.status(eng)
        if loaded and not replace:
            console.print(f"demo district {names.SUBDISTRICT_NAME} ({names.SUBDISTRICT_CODE}) "
                          "is already loaded; nothing to do (use --replace to reload it)",
                          soft_wrap=True)
            return
        if others and not replace:
            raise Conflict(f"the database holds {others} row(s) that are not the demo's; "
                           "refusing to mix them (use --replace to load the demo anyway)")
        counts = demo.load_demo(eng, seed=seed, progress=True, replace=replace)
        with Session(eng) as session:
            _print_summary(demo.load.summary(session), counts["seconds"])
    finally:
        eng.dispose()


def _print_summary(s: dict, seconds: float) -> None:
    console.print(
        f"[bold]{names.DISTRICT_NAME}{names.SUBDISTRICT_NAME}[/] ({names.SUBDISTRICT_CODE}) "
        f"loaded in {seconds:.1f} s\n"
        f"  area {s['area_km2']} km², {s['communities']} communities 社区, "
        f"{s['compounds']} compounds 小区, {s['buildings']:,} buildings\n"
        f"  {s['households']:,} households 户, {s['residents']:,} residents 人\n"
        f"  {s['unified_grids']} unified grids 网格 (+{s['thematic_grids']} thematic), "
        f"{s['workers']} grid workers, {s['facilities']} facilities\n"
        f"  {s['road_edges']:,} walking-network edges, {s['events']:,} events 事件 "
        "(2026-05-01 – 2026-10-31)")


def _city(seed: int, subdistricts: int, events: int) -> None:
    if not 1 <= subdistricts <= city.SUBDISTRICTS or events < 0:
        raise typer.BadParameter(f"--subdistricts takes 1 to {city.SUBDISTRICTS}, "
                                 "--events 0 or more")
    eng = engine()
    try:
        schema.upgrade(eng)
        counts = cityload.load_city(eng, seed=seed, subdistricts=subdistricts, events=events,
                                    progress=True)
        with Session(eng) as session:
            s = cityload.summary(session)
        console.print(
            f"[bold]city[/] loaded in {counts['seconds']:.1f} s: {s['districts']} districts, "
            f"{s['subdistricts']} subdistricts 街道, {s['communities']} communities 社区\n"
            f"  {s['grids']:,} grids 网格 ({s['unified_grids']:,} unified), "
            f"{s['workers']:,} grid workers, {s['buildings']:,} buildings "
            f"({s['buildings_without_grid']:,} without a grid)\n"
            f"  {s['households']:,} households 户, {s['residents']:,} residents 人, "
            f"{s['facilities']:,} facilities, {s['road_edges']:,} walking-network edges\n"
            f"  {s['events']:,} events 事件 ({s['events_in_grids']:,} in a grid; "
            "2025-11-01 – 2026-10-31)", soft_wrap=True)
    finally:
        eng.dispose()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
