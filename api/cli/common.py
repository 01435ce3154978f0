"""Helpers shared by the command modules: settings, engine, session, errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gis.core import db
from gis.core.settings import get_settings

console = Console(stderr=True)


def engine() -> Engine:
    """The engine of the database in use (the embedded one is started on demand)."""
    return db.make_engine(get_settings())


@contextmanager
def session() -> Iterator[Session]:
    """One committed transaction for a command."""
    eng = engine()
    try:
        with db.session_scope(eng) as s:
            yield s
    finally:
        eng.dispose()
