"""locate_version: a number that changes with every commit that changes what locate answers

gis.grids.locate_index keeps the current unified grids (with community, subdistrict and
primary worker) in each server process and answers locate from memory while this number is
the one it was built at. A deferred constraint trigger on grid, region, grid_worker and
grid_worker_grid sets it from a sequence once per writing transaction, at its commit: commits
take numbers in commit order (the one row's lock is held only from that moment to the end
of the commit, after every other statement, so writers cannot deadlock on it), and a
rolled-back transaction's number is never used again. Inside a writing transaction, before
its commit, a statement-level trigger sets ``gridmap.locate_dirty`` for that transaction, so
locate inside it reads the tables themselves.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("grid", "region", "grid_worker", "grid_worker_grid")

FUNCTIONS = """
CREATE FUNCTION gm_locate_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('gridmap.locate_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE locate_version SET version = nextval('locate_version_seq');
        PERFORM set_config('gridmap.locate_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION gm_locate_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gridmap.locate_dirty', 'on', true);
    RETURN NULL;
END $$;
CREATE FUNCTION gm_locate_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gridmap.locate_dirty', 'on', true);
    UPDATE locate_version SET version = nextval('locate_version_seq');
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute("CREATE SEQUENCE locate_version_seq")
    op.execute("CREATE TABLE locate_version (one boolean PRIMARY KEY DEFAULT true "
               "CHECK (one), version bigint NOT NULL)")
    op.execute("INSERT INTO locate_version (version) VALUES (nextval('locate_version_seq'))")
    op.execute(FUNCTIONS)
    for table in TABLES:
        op.execute(f"CREATE CONSTRAINT TRIGGER zz_locate_bump AFTER INSERT OR UPDATE OR DELETE "
                   f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                   "EXECUTE FUNCTION gm_locate_bump()")
        op.execute(f"CREATE TRIGGER locate_dirty AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION gm_locate_dirty()")
        op.execute(f"CREATE TRIGGER locate_truncated AFTER TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION gm_locate_truncated()")


def downgrade() -> None:
    for table in TABLES:
        for trigger in ("zz_locate_bump", "locate_dirty", "locate_truncated"):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
    op.execute("DROP FUNCTION gm_locate_bump(), gm_locate_dirty(), gm_locate_truncated()")
    op.execute("DROP TABLE locate_version")
    op.execute("DROP SEQUENCE locate_version_seq")
