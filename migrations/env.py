"""Alembic environment: gridmap's models, GeoAlchemy2's helpers, the database in use."""

import re

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine

from gis.core.db import database_url
from gis.core.settings import get_settings
from gis.models import Base

config = context.config
target_metadata = Base.metadata

# PostGIS, pgRouting and Tiger own tables of their own; autogenerate must leave them alone.
_FOREIGN_TABLES = {"spatial_ref_sys", "topology", "layer"}
# the month partitions of event (migration 0015) are made at run time, not modelled
_PARTITION = re.compile(r"event_(\d{4}_\d{2}|default)")


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Skip extension tables, then defer to GeoAlchemy2 (it hides its implicit GiST indexes)."""
    if type_ == "table" and (name in _FOREIGN_TABLES or _PARTITION.fullmatch(name or "")):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url(get_settings()))
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
