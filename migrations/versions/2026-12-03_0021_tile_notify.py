"""tile_notify: every commit that moves the tile versions also announces them

gis.tiles.versions keeps the current tile versions of a database in each server process, so
a cached tile is answered with no database round trip:

- ``pg_notify('gridmap_tiles', versions)`` at the commit: each process's listener (LISTEN
  gridmap_tiles on a connection of its own) hears another process's write. PostgreSQL
  delivers a notification only when the transaction that sent it commits.
- ``RAISE NOTICE 'gridmap_tiles <versions>'`` to the committing connection itself when it
  asked for it (``gridmap.tile_notice = on``, set by gis.tiles.versions on the connections
  this process opens): the process that wrote knows the new versions when its COMMIT
  returns, before it answers, so its next request never serves the tile it just changed.
  Other clients (psql, tipg, QGIS) never see the notice.

The function is 0017's ``gm_tile_bump`` with the two announcements.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANNOUNCE = """
        PERFORM pg_notify('gridmap_tiles', now_versions::text);
        IF current_setting('gridmap.tile_notice', true) = 'on' THEN
            RAISE NOTICE 'gridmap_tiles %', now_versions;
        END IF;"""


def bump(announce: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION gm_tile_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    now_versions jsonb;
BEGIN
    IF current_setting('gridmap.tile_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE tile_version SET versions = versions || coalesce((
            SELECT jsonb_object_agg(t.source, nextval('tile_version_seq'))
            FROM tile_touch t WHERE t.txid = txid_current()), '{{}}'::jsonb)
        RETURNING versions INTO now_versions;
        DELETE FROM tile_touch WHERE txid = txid_current();{announce}
        PERFORM set_config('gridmap.tile_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(bump(ANNOUNCE))


def downgrade() -> None:
    op.execute(bump(""))
