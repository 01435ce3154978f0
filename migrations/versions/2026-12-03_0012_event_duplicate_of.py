"""event_duplicate_of: a duplicate event (重复件) points at its original

A dispatcher marks an event as a duplicate of another (gis.events.workflow.mark_duplicate);
from then on the duplicate's state follows the original's (transitions and closure).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("duplicate_of", sa.Integer(), nullable=True))
    op.create_foreign_key("fk_event_duplicate_of_event", "event", "event", ["duplicate_of"],
                          ["id"], ondelete="SET NULL")
    # partial: only duplicates are looked up by their original
    op.create_index("ix_event_duplicate_of", "event", ["duplicate_of"],
                    postgresql_where=sa.text("duplicate_of IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_event_duplicate_of", table_name="event")
    op.drop_constraint("fk_event_duplicate_of_event", "event", type_="foreignkey")
    op.drop_column("event", "duplicate_of")
