"""key_notify: a change to a key's validity is announced with NOTIFY gridmap_keys

gis.access.keycheck keeps the keys it found valid in each server process and asks the
database again only when told that a key may have changed: a statement that revokes a key,
moves its expiry, its role, its region or its digest, or deletes or truncates keys notifies
``gridmap_keys`` (heard by each process's listener, gis.access.keywatch) when its
transaction commits. The last-use stamp (``last_used_at``) announces nothing. The payload is
empty: a process forgets every key it holds (changes to keys are rare).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 21:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION gm_key_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gridmap_keys', '');
    RETURN NULL;
END $$;
CREATE TRIGGER api_key_notify
    AFTER UPDATE OF revoked_at, expires_at, role, region_code, digest OR DELETE OR TRUNCATE
    ON api_key FOR EACH STATEMENT EXECUTE FUNCTION gm_key_notify();
""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS api_key_notify ON api_key; "
               "DROP FUNCTION IF EXISTS gm_key_notify();")
