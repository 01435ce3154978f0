"""Commands: import KIND FILE, export KIND FILE."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api.cli import tiles
from api.cli.common import console, session
from gis import io
from gis.core.errors import ImportRejected
from gis.core.settings import get_settings
from gis.io.report import ImportReport

KIND_HELP = f"one of: {', '.join(io.KINDS)}; export also: all (.gpkg), tiles (.pmtiles)"
FILE_HELP = (".geojson/.json, .gpkg, .zip/.shp.zip, .csv, .kml, .kmz, .dxf, .fgb, .parquet, "
             ".tab (or .zip/.tab.zip holding one), .gml")
SHOWN = 50


def import_(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    file: Annotated[Path, typer.Argument(help=FILE_HELP + "; roads also .osm.pbf")],
    crs: Annotated[str | None, typer.Option(
        help="the data's CRS when the file has none or a wrong one: EPSG:4549, gcj02, bd09…"
    )] = None,
    keep_good: Annotated[bool, typer.Option(
        "--keep-good", help="write the good rows even when some are rejected")] = False,
    layer: Annotated[str | None, typer.Option(
        help="layer of a multi-layer file; for DXF the CAD layers to read, comma-separated"
    )] = None,
    dxf_map: Annotated[Path | None, typer.Option(
        help="DXF only: JSON {\"CAD layer\": {\"code\": …, \"name\": …}} or CSV with a "
             "'layer' column naming each CAD layer's fields (default: code = CAD layer, "
             "name = the text inside the shape)")] = None,
) -> None:
    """Import FILE as KIND in one transaction: all or nothing unless --keep-good.

    Prints accepted / repaired / rejected counts and the reason for every bad row; exits 1 when rows were rejected and nothing was written.
    """  # noqa: E501 (typer rewraps help text; a hard break here would show in --help)
    try:
        with _bar() as bar, session() as s:
            task = bar.add_task("reading", total=None)

            def progress(stage: str, done: int, total: int | None) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            report = io.import_file(s, kind, file, crs=crs, keep_good=keep_good,
                                    layer=layer, progress=progress, dxf_map=dxf_map,
                                    time_limits=get_settings().event_time_limits,
                                    limits=io.ImportLimits.from_settings(get_settings(),
                                                                         upload=False))
    except ImportRejected as exc:
        _print_report(ImportReport.from_dict(cast(dict[str, Any], exc.details["report"])))
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    _print_report(report)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _print_report(report: ImportReport) -> None:
    if report.rows:
        table = Table(title=f"{report.kind}: rows repaired or rejected")
        for column in ("row", "code", "status", "reason"):
            table.add_column(column, overflow="fold")
        for note in report.rows[:SHOWN]:
            colour = "red" if note.status == "rejected" else "yellow"
            table.add_row(str(note.row), note.code or "", f"[{colour}]{note.status}[/{colour}]",
                          note.reason)
        console.print(table)
        if len(report.rows) > SHOWN:
            console.print(f"… and {len(report.rows) - SHOWN} more rows")
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")
    if report.encoding:
        console.print(f"text encoding: {report.encoding}")
    console.print(f"source CRS {report.source_crs}; {report.summary()}")
    for key, value in report.extra.items():
        console.print(f"{key}: {value}")


def export(
    kind: Annotated[str, typer.Argument(help=KIND_HELP + ", or all (every kind into one .gpkg)")],
    file: Annotated[Path, typer.Argument(help=FILE_HELP.replace(".zip/.tab.zip", ".tab.zip"))],
    theme: Annotated[str | None, typer.Option(help="grids of one theme only")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="export personal data (ID numbers, phones, names) unmasked")] = False,
    layers: Annotated[str, typer.Option(help=tiles.LAYERS_HELP)] = "grids,buildings,facilities",
    zoom: Annotated[str, typer.Option(help=tiles.ZOOM_HELP)] = "12-17",
) -> None:
    """Export KIND to FILE (format from the extension) in the import field names, EPSG:4490.

    `export tiles FILE.pmtiles --layers grids,buildings --zoom 12-17` writes gridmap's vector tiles (as /tiles serves them to a key holder) into one PMTiles archive.
    `export all FILE.gpkg` writes every kind as one layer of a GeoPackage.
    """  # noqa: E501 (typer rewraps help text)
    if kind == "tiles":
        tiles.export_tiles(file, layers=layers, zoom=zoom, theme=theme)
        return
    if kind == "all":
        _export_all(file, reveal)
        return
    with session() as s:
        count = io.export_file(s, kind, file, theme=theme, reveal=reveal)
    console.print(f"{count} {kind} written to {file}" + ("" if reveal or not io.get_kind(
        kind).personal else " (personal data masked; --reveal to export it)"))


def _export_all(file: Path, reveal: bool) -> None:
    with session() as s:
        counts = io.export_all(s, file, reveal=reveal)
    console.print(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" written to {file}"
                  + ("" if reveal else " (personal data masked; --reveal to export it)"))


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
