"""``gridmap export tiles FILE.pmtiles``: an offline map package of gridmap's vector tiles."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api.cli.common import console, session
from gis.tiles import archive

LAYERS_HELP = "tile layers for `export tiles`, comma-separated: grids,buildings,facilities"
ZOOM_HELP = "zoom range for `export tiles`, e.g. 12-17"


def export_tiles(file: Path, *, layers: str, zoom: str, theme: str | None) -> None:
    """Write the tiles of ``layers`` at ``zoom`` that hold data into the archive ``file``."""
    if file.suffix.lower() != ".pmtiles":
        raise typer.BadParameter(f"tiles go into a .pmtiles file; got {file.name}")
    names, zooms = archive.parse_layers(layers), archive.parse_zoom(zoom)
    bar = Progress(TextColumn("tiles"), BarColumn(), MofNCompleteColumn(), console=console,
                   transient=True, disable=not console.is_terminal)
    with bar, session() as s:
        task = bar.add_task("tiles", total=None)
        report = archive.export_archive(
            s, file, layers=names, zooms=zooms, theme=theme or "unified",
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    minx, miny, maxx, maxy = report.bounds
    console.print(f"{report.tiles} tiles of {','.join(names)} at zoom {report.min_zoom}-"
                  f"{report.max_zoom} written to {file} ({report.size / 1024:.0f} KB; bounds "
                  f"{minx:.5f},{miny:.5f},{maxx:.5f},{maxy:.5f})")
