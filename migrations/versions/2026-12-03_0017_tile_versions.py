"""tile_versions: a number per table under the vector tiles, changed by every commit that
changes that table

gis.tiles.cache keeps built tiles in each server process keyed by the versions of the tables
a layer reads (grid, building, event, facility, service_area); the tile's ETag comes from
the same key. ``tile_version.versions`` maps each watched table to the sequence number of
the last commit that wrote it.

How a write reaches it, cheaply and without deadlocks: a statement-level trigger on each
watched table (one call per statement, however many rows: a bulk assignment of a million
events pays for one) records the table once per transaction in ``tile_touch`` and sets
``gridmap.tile_dirty`` for that transaction; a deferred constraint trigger on ``tile_touch``
runs at the commit and bumps the touched tables' numbers in the one row of
``tile_version`` in one UPDATE, so the row lock is held only from that moment to the end of
the commit (the scheme of migration 0013) and two writers never lock two rows in opposite
orders. A reader inside a writing transaction sees ``gridmap.tile_dirty`` and builds its
tiles uncached.

``gm_tile_watch(table)`` puts the two triggers on a table: a migration that recreates a
watched table (e.g. ``event`` made partitioned) calls it again on the new one. Statement
triggers of a partitioned table fire for statements on the parent; a write that names a
partition directly must be followed by a write on the parent or a call of
``gm_tile_touch_table(name)``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("grid", "building", "event", "facility", "service_area")

FUNCTIONS = """
CREATE FUNCTION gm_tile_touch_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gridmap.tile_dirty', 'on', true);
    IF current_setting('gridmap.tile_touched_' || name, true) IS DISTINCT FROM 'on' THEN
        INSERT INTO tile_touch (source) VALUES (name);
        PERFORM set_config('gridmap.tile_touched_' || name, 'on', true);
    END IF;
END $$;
CREATE FUNCTION gm_tile_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gm_tile_touch_table(TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE FUNCTION gm_tile_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gridmap.tile_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE tile_version SET versions = versions || coalesce((
            SELECT jsonb_object_agg(t.source, nextval('tile_version_seq'))
            FROM tile_touch t WHERE t.txid = txid_current()), '{}'::jsonb);
        DELETE FROM tile_touch WHERE txid = txid_current();
        PERFORM set_config('gridmap.tile_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION gm_tile_watch(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER tile_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                   'ON %s FOR EACH STATEMENT EXECUTE FUNCTION gm_tile_touch()', tbl);
END $$;
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE tile_version_seq")
    op.execute("CREATE TABLE tile_version (one boolean PRIMARY KEY DEFAULT true CHECK (one), "
               "versions jsonb NOT NULL)")
    op.execute("CREATE TABLE tile_touch (source text NOT NULL, "
               "txid bigint NOT NULL DEFAULT txid_current())")
    initial = ", ".join(f"'{table}', nextval('tile_version_seq')" for table in TABLES)
    op.execute(f"INSERT INTO tile_version (versions) VALUES (jsonb_build_object({initial}))")
    op.execute(FUNCTIONS)
    op.execute("CREATE CONSTRAINT TRIGGER zz_tile_bump AFTER INSERT ON tile_touch "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gm_tile_bump()")
    for table in TABLES:
        op.execute(f"SELECT gm_tile_watch('{table}')")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER tile_touch ON {table}")
    op.execute("DROP TABLE tile_touch")
    op.execute("DROP FUNCTION gm_tile_watch(regclass), gm_tile_bump(), gm_tile_touch(), "
               "gm_tile_touch_table(text)")
    op.execute("DROP TABLE tile_version")
    op.execute("DROP SEQUENCE tile_version_seq")
