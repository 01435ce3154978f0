"""locate_notify: every new locate_version is also announced with NOTIFY gridmap_locate

gis.grids.locate_index keeps a listener per server process (LISTEN gridmap_locate on a
connection of its own) and so knows the current locate_version without reading it at every
request. PostgreSQL delivers a notification only when the transaction that sent it commits,
so a listener never hears of a number whose grids it could not yet read. The functions are
0013's with one ``pg_notify`` each.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE locate_version SET version = nextval('locate_version_seq')"
NOTIFY = "PERFORM pg_notify('gridmap_locate', (SELECT version FROM locate_version)::text);"


def functions(notify: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION gm_locate_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gridmap.locate_bumped', true) IS DISTINCT FROM 'on' THEN
        {BUMP};
        {notify}
        PERFORM set_config('gridmap.locate_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION gm_locate_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gridmap.locate_dirty', 'on', true);
    {BUMP};
    {notify}
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(functions(NOTIFY))


def downgrade() -> None:
    op.execute(functions(""))
