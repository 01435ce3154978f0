"""plan_version: a version on plan for optimistic locking (ETag / If-Match)

Every edit, apply and reject of a plan bumps ``version`` (gis.plans.lock); the API sends it
as the ``ETag`` of a plan and refuses a write whose ``If-Match`` names an older one (412).
Plans made before this revision start at 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("plan", sa.Column("version", sa.Integer(), server_default="1",
                                    nullable=False))


def downgrade() -> None:
    op.drop_column("plan", "version")
