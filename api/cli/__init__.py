"""The ``gridmap`` command line: each command group lives in its own module."""

from __future__ import annotations

import sys

import typer

from api.cli import assign, circles, core, demo, io, plans, qa
from gis.core.errors import GridmapError

app = typer.Typer(help="gridmap: 网格化管理 GIS on PostGIS.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
core.register(app)
qa.register(app)
circles.register(app)
demo.register(app)
io.register(app)
assign.register(app)
plans.register(app)


def main() -> None:
    """Console-script entry: a GridmapError becomes one line on stderr and exit code 1."""
    try:
        app()
    except GridmapError as exc:
        print(f"gridmap: {exc.message}", file=sys.stderr)
        sys.exit(1)
