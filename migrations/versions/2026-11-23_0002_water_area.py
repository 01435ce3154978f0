"""water_area: rivers and lakes (the demo river; bridges are the only network crossings)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "water_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column(
            "geom",
            Geometry(geometry_type="MULTIPOLYGON", srid=4490, dimension=2,
                     spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry",
                     nullable=False),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_water_area_geom_valid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_area")),
    )
    op.create_geospatial_index("idx_water_area_geom", "water_area", ["geom"], unique=False,
                               postgresql_using="gist", postgresql_ops={})


def downgrade() -> None:
    op.drop_geospatial_index("idx_water_area_geom", table_name="water_area",
                             postgresql_using="gist", column_name="geom")
    op.drop_geospatial_table("water_area")
