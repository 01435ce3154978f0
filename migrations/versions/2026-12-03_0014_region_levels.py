"""region_levels: regions of any level from province down (省/市/区县/街道/社区)

The level check allowed district, subdistrict and community only, so no province and none of
the prefecture-level cities could be imported. Downgrading fails while provinces or cities
are stored (delete them first): the old check would not hold.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "level IN ('province', 'city', 'district', 'subdistrict', 'community')"
OLD = "level IN ('district', 'subdistrict', 'community')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_region_level_known"), "region", type_="check")
    op.create_check_constraint(op.f("ck_region_level_known"), "region", NEW)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_region_level_known"), "region", type_="check")
    op.create_check_constraint(op.f("ck_region_level_known"), "region", OLD)
