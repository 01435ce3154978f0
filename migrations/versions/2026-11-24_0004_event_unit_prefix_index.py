"""event_unit_prefix_index: jurisdiction filter of event lists, KPIs and Open311

Region-scoped keys see events whose unit code (``coalesce(community_code,
subdistrict_code)``) starts with their region's prefix (gis/core/sql/event_list.sql, kpis.sql,
open311_requests.sql, gis/events/workflow.py). Without an index that was a sequential scan of every
event (EXPLAIN on the 20k demo events: 6.2 ms, estimated 101 rows for 3,325); with this
b-tree (text_pattern_ops, so LIKE 'prefix%' becomes a range) a bitmap scan, 1.9 ms, and the
expression's statistics give the right estimate. The expression must match those queries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 03:25:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_event_unit_prefix ON event "
               "((coalesce(community_code, subdistrict_code)) text_pattern_ops)")


def downgrade() -> None:
    op.drop_index("ix_event_unit_prefix", table_name="event")
