"""event_region: the region an event was recorded in, its unit until it is placed

An address that geocodes unclearly is saved as ``needs_location`` without a community; a key
limited to a region (a 街道 dispatcher) could neither record it (403) nor see it. The event
now keeps ``region_code``, the intake key's jurisdiction, and the jurisdiction unit of an
event becomes ``coalesce(community_code, subdistrict_code, region_code)`` (event lists, KPIs,
Open311, exports, gis/events/workflow.py): the prefix index of 0004 is rebuilt on it. Events
recorded before this revision keep no region (only keys without a region see them unplaced).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event", sa.Column("region_code", sa.String(length=12), nullable=True))
    op.drop_index("ix_event_unit_prefix", table_name="event")
    op.execute("CREATE INDEX ix_event_unit_prefix ON event "
               "((coalesce(community_code, subdistrict_code, region_code)) text_pattern_ops)")


def downgrade() -> None:
    op.drop_index("ix_event_unit_prefix", table_name="event")
    op.execute("CREATE INDEX ix_event_unit_prefix ON event "
               "((coalesce(community_code, subdistrict_code)) text_pattern_ops)")
    op.drop_column("event", "region_code")
