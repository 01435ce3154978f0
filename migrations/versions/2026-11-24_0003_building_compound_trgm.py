"""building_compound_trgm: trigram index on the compound key that geocoding searches

The key is the compound (小区) name without a trailing 小区 plus the building number ("3栋")
ending the standard address; gis/core/sql/geocode.sql compares callers' "阳光花园3号楼" with it.
The expression must match the one in geocode.sql character for character, or the planner
cannot use the index (EXPLAIN on the demo showed a seq scan of building per query without it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_building_compound_key_trgm ON building USING gin "
        "((regexp_replace(NULLIF(compound, ''), '小区$', '') "
        "|| coalesce(substring(address FROM '[0-9]+栋$'), '')) gin_trgm_ops)")


def downgrade() -> None:
    op.drop_index("ix_building_compound_key_trgm", table_name="building")
