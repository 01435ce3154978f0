"""building_community_prefix_index: buildings of a jurisdiction by community-code prefix

Building lists, OGC items, geocoding, the building tiles, topology QA and grid history keep a
scoped key to its region with ``gm_in_region(b.community_code, :scope)``, which PostgreSQL
inlines to ``community_code LIKE 'prefix%'``. The plain b-tree ix_building_community_code
cannot serve LIKE under the cluster's C.UTF-8 collation (EXPLAIN with sequential scans priced
out: a full index scan of all 2,529 demo buildings with the LIKE as a filter); this one
(text_pattern_ops) makes the prefix a range: a bitmap scan of the community's 324 buildings.
The demo district's 2.5k buildings seq-scan in about 1 ms either way; a city's do not.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_building_community_prefix ON building "
               "(community_code text_pattern_ops)")


def downgrade() -> None:
    op.drop_index("ix_building_community_prefix", table_name="building")
