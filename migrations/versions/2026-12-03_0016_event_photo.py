"""event_photo: photos of events (Open311 ``media``, uploads from the API and the case page)

A photo's bytes live in the row (bytea), so a photo is committed in the transaction whose
answer acknowledges it: a 201 means the photo is durable, as for the event itself (no file
beside the database that a crash could leave without its row, or a row without its file).
Photos are re-encoded without metadata before they are stored (gis.events.photos).

No foreign key to ``event.id``: migration 0015 partitions ``event`` by month, and a foreign
key to a partitioned table must name its whole primary key, partition key included, which a
photo does not carry. The event is named by ``event_id`` (indexed: the leading column of the
unique (event_id, sha256)) instead, and photos go with their event in the database itself,
whichever code path deletes it: a statement-level AFTER DELETE trigger on ``event`` with a
transition table (one set-based DELETE per statement: the demo reload deletes 20,000 events
at once), and an AFTER TRUNCATE trigger that drops the photos whose event is gone (a TRUNCATE
cascaded from ``grid`` included). Statement-level on purpose: an UPDATE that moves an event to
another month's partition (its reported_at corrected) is a delete and an insert to row-level
triggers, which would drop the photos of an event that still exists; statement-level DELETE
triggers do not fire for it. Deleting from one partition directly, or detaching or dropping a
partition, bypasses the trigger: run ``DELETE FROM event_photo p WHERE NOT EXISTS (SELECT 1
FROM event e WHERE e.id = p.event_id)`` after it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLEANUP = """
CREATE FUNCTION gm_event_photo_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_photo p USING deleted_events d WHERE p.event_id = d.id;
    RETURN NULL;
END $$;
CREATE FUNCTION gm_event_photo_orphans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_photo p WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.id = p.event_id);
    RETURN NULL;
END $$;
CREATE TRIGGER event_photo_delete AFTER DELETE ON event REFERENCING OLD TABLE AS deleted_events
    FOR EACH STATEMENT EXECUTE FUNCTION gm_event_photo_delete();
CREATE TRIGGER event_photo_truncate AFTER TRUNCATE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION gm_event_photo_orphans();
"""


def upgrade() -> None:
    op.create_table(
        "event_photo",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("content_type", sa.String(20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("thumb", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("source IN ('staff', 'open311')", name=op.f(
            "ck_event_photo_source_known")),
        sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')",
                           name=op.f("ck_event_photo_content_type_known")),
        sa.CheckConstraint("size_bytes = octet_length(data)",
                           name=op.f("ck_event_photo_size_matches")),
        sa.CheckConstraint("width > 0 AND height > 0",
                           name=op.f("ck_event_photo_dimensions_positive")),
    )
    # the event's photos by event_id (leading column), and one copy of a photo per event
    op.create_index("ux_event_photo_event_sha256", "event_photo", ["event_id", "sha256"],
                    unique=True)
    # bytes of an already compressed image: TOAST's own compression would only cost time
    op.execute("ALTER TABLE event_photo ALTER COLUMN data SET STORAGE EXTERNAL, "
               "ALTER COLUMN thumb SET STORAGE EXTERNAL")
    op.execute(CLEANUP)


def downgrade() -> None:
    op.execute("DROP TRIGGER event_photo_truncate ON event")
    op.execute("DROP TRIGGER event_photo_delete ON event")
    op.execute("DROP FUNCTION gm_event_photo_orphans()")
    op.execute("DROP FUNCTION gm_event_photo_delete()")
    op.drop_table("event_photo")
