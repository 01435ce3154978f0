"""The ``gridmap`` command line: each command group lives in its own module."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from api.cli import assign, batch, circles, core, demo, io, plans, qa
from gis.core.errors import GridmapError

app = typer.Typer(help="gridmap: 网格化管理 GIS on PostGIS.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
core.register(app)
qa.register(app)
circles.register(app)
demo.register(app)
io.register(app)
assign.register(app)
batch.register(app)
plans.register(app)

log = logging.getLogger("gridmap.cli")
CLI_LOG = "cli.log"
"""File under the gridmap home (``.gridmap/``) where unexpected errors are logged."""


def main() -> None:
    """Console-script entry: never a traceback. A GridmapError becomes its message, a database
    failure and any unexpected error one line naming what to do; all exit with code 1 (130
    when interrupted). Unexpected errors are logged with where they happened, never with
    their message or values (they may hold personal data)."""
    try:
        app()
    except GridmapError as exc:
        _fail(exc.message)
    except ValidationError as exc:  # a setting (GRIDMAP_...) that cannot work; no input echoed
        _fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
                        for e in exc.errors()))
    except KeyboardInterrupt:
        print("gridmap: interrupted", file=sys.stderr)
        sys.exit(130)
    except DBAPIError as exc:
        _log_unexpected(exc)
        _fail(f"the database could not answer ({type(exc.orig).__name__}); check it with "
              "`gridmap db status` and retry")
    except Exception as exc:  # the last line of defence: no traceback for a person
        where, logged = _log_unexpected(exc)
        _fail(f"unexpected error ({type(exc).__name__} at {where}); "
              f"{f'logged to {logged}: ' if logged else ''}please report it")


def _fail(message: str) -> None:
    print(f"gridmap: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(1)


def _log_unexpected(exc: BaseException) -> tuple[str, Path | None]:
    """Log the exception's type and frames (file, line, function: no message, no values) to
    the CLI log; returns the innermost frame as 'file:line' and the log's path (None when it
    could not be written)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    stack = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    try:
        from gis.core.settings import get_settings

        path = get_settings().home_dir() / CLI_LOG
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except Exception:  # logging must never be the next crash
        return where, None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error("unexpected %s in %s: %s", type(exc).__name__, " ".join(sys.argv[1:2]),
                  stack)
    finally:
        log.removeHandler(handler)
        handler.close()
    return where, path
