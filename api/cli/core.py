"""Commands: db start|stop|status|url, migrate, keys create|list|revoke, serve."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.cli.common import console, engine, session
from gis.access import keys
from gis.core import clock, db, embedded, schema
from gis.core.settings import get_settings
from gis.events import partitions

db_app = typer.Typer(help="The embedded PostGIS cluster under .gridmap/ (or the configured one).",
                     no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


def _cluster() -> embedded.Cluster:
    settings = get_settings()
    if settings.database_url:
        console.print("GRIDMAP_DATABASE_URL is set: gridmap uses that database and starts none.")
        raise typer.Exit(0)
    return embedded.cluster_from_settings(settings)


@db_app.command("start")
def db_start() -> None:
    """Create (first time) and start the embedded cluster; nothing to do if it runs."""
    started = embedded.start(_cluster())
    console.print("started" if started else "already running")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    console.print("stopped" if embedded.stop(_cluster()) else "not running")


@db_app.command("status")
def db_status() -> None:
    """Print running / stopped / absent (or 'external' when GRIDMAP_DATABASE_URL is set)."""
    settings = get_settings()
    if settings.database_url:
        typer.echo("external")
        eng = engine()
        _warn_statement_logging(eng)
        eng.dispose()
        return
    typer.echo(embedded.status(embedded.cluster_from_settings(settings)))


def _warn_statement_logging(eng: Engine) -> None:
    """A note on stderr when the server would log statements with personal data in them."""
    try:
        risky = db.statement_logging(eng)
    except SQLAlchemyError:  # unreachable: the command's own answer says so, or will
        return
    if risky:
        settings = ", ".join(f"{n} = {v}" for n, v in embedded.QUIET_LOG.items())
        typer.echo(f"warning: this server logs statement text or parameters, which carry "
                   f"residents' ID numbers and phones ({'; '.join(risky)}); set {settings} "
                   "(see README, 'Personal data in logs')", err=True)


@db_app.command("url")
def db_url() -> None:
    """Print the SQLAlchemy URL of the database in use (for psql and other tools)."""
    typer.echo(db.database_url(get_settings(), start=False))


def migrate(target: Annotated[str, typer.Argument(help="Alembic revision")] = "head") -> None:
    """Bring the schema up to date (Alembic upgrade) and make the coming months' event
    partitions (run it monthly, e.g. from cron)."""
    eng = engine()
    schema.upgrade(eng, target)
    console.print(f"schema at {schema.current(eng)}")
    if partitions.available(eng):
        with eng.begin() as conn:
            console.print(f"event partitions made: {partitions.maintain(conn)}")
    _warn_statement_logging(eng)
    eng.dispose()


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, planner, dispatcher, grid_worker, viewer")],
    region: Annotated[str | None, typer.Option(
        help="12-digit code of an existing region: the key acts only inside it (any role)")
    ] = None,
    expires: Annotated[str | None, typer.Option(
        help="90d, 12h, 4w or YYYY-MM-DD (valid through that day, Asia/Shanghai); "
             "default: until revoked")] = None,
    label: Annotated[str | None, typer.Option(help="who the key is for")] = None,
) -> None:
    """Make an API key and print it once (only its digest and a salted hash are stored)."""
    expires_at = keys.expires_from_text(expires) if expires else None
    secret = keys.server_secret(get_settings())
    with session() as s:
        typer.echo(keys.create_key(s, role=role, region_code=region, label=label,
                                   expires_at=expires_at, secret=secret))


KEY_COLUMNS = ("id", "prefix", "role", "region", "label", "created", "expires", "revoked",
               "last_used")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return clock.local_text(value)
    return str(value)


@keys_app.command("list")
def keys_list() -> None:
    """Every key, tab-separated: id, prefix, role, region, label, created, expires, revoked,
    last used (within the hour; times Asia/Shanghai). Never a secret."""
    with session() as s:
        rows = keys.list_keys(s)
    typer.echo("\t".join(KEY_COLUMNS))
    for info in rows:
        typer.echo("\t".join(_cell(v) for v in (
            info.id, info.prefix, info.role, info.region_code, info.label, info.created_at,
            info.expires_at, info.revoked_at, info.last_used_at)))


@keys_app.command("revoke")
def keys_revoke(ref: Annotated[str, typer.Argument(
        metavar="ID_OR_PREFIX", help="the key's id or prefix (from `gridmap keys list`)")]) -> None:
    """Revoke a key: its next request (and its map logins) are refused at once."""
    with session() as s:
        info, revoked_now = keys.revoke_key(s, ref)
    state = "revoked" if revoked_now else f"already revoked on {_cell(info.revoked_at)}"
    console.print(f"key {info.id} ({info.prefix}, {info.role}) {state}")


WORKER_STARTUP_S = 60
"""How long uvicorn's supervisor waits for a worker's answer to its health check. Its default
(5 s) is shorter than importing the app takes on a busy 2-core machine (7 s seen), so with
``--workers 2`` it killed every starting worker and started another, forever."""


def run_server(app: str, *, host: str, port: int, workers: int | None = None,
               log_level: str = "info") -> None:
    """Serve the ASGI ``app`` ("module:attribute") with uvicorn as ``gridmap serve`` does:
    ``workers`` processes (default: one per CPU core), each with its own database pool."""
    import uvicorn

    from api import logmask
    from api.cli import workers as worker_sockets

    count = workers or default_workers()
    if count == 1 or not worker_sockets.reuseport_available():
        uvicorn.run(app, host=host, port=port, workers=count, log_level=log_level,
                    log_config=logmask.log_config(), timeout_worker_healthcheck=WORKER_STARTUP_S)
        return
    config = uvicorn.Config(app, host=host, port=port, workers=count, log_level=log_level,
                            log_config=logmask.log_config(),
                            timeout_worker_healthcheck=WORKER_STARTUP_S)
    worker_sockets.SocketPerWorker(
        config, worker_sockets.listening_sockets(host, port, count)).run()


def default_workers() -> int:
    """One server process per CPU core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def serve(host: Annotated[str, typer.Option()] = "127.0.0.1",
          port: Annotated[int, typer.Option()] = 8000,
          workers: Annotated[int | None, typer.Option(
              min=1, help="server processes (default: one per CPU core)")] = None) -> None:
    """Serve the map and the API with uvicorn."""
    console.print(f"gridmap map: http://{host}:{port}/map   API docs: http://{host}:{port}/docs")
    run_server("api.main:app", host=host, port=port, workers=workers)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(keys_app, name="keys")
    app.command()(migrate)
    app.command()(serve)
