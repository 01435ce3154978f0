"""grid_load_inputs: grid.area_m2 kept with the geometry; building's grid index covers the counts

``GET /api/v1/grids/load`` answers every grid of a city (5,040 at the generated city) with
its geodesic area (``ST_Area(geom::geography)``, on the spheroid); computing it in the request
took about 0.7 s of the 2-3 s the request cost under load. A stored generated column computes
it once when a grid is written (grids are versioned: a changed outline is a new row) and the
query reads it. Square metres, unrounded, so callers round it as before and answers are equal.

``ix_building_grid_id`` becomes ``(grid_id) INCLUDE (households, residents)``: the grid load
sums every building's households and residents per grid (300,951 at the city), now from the
index alone (index-only scan) instead of one heap visit per building. Same name, same
leading column, so every other use of the index is unchanged; one index, not two, to write.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 16:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE grid ADD COLUMN area_m2 double precision
            GENERATED ALWAYS AS (ST_Area(geom::geography)) STORED""")
    op.drop_index("ix_building_grid_id", table_name="building")
    op.create_index("ix_building_grid_id", "building", ["grid_id"],
                    postgresql_include=["households", "residents"])


def downgrade() -> None:
    op.drop_index("ix_building_grid_id", table_name="building")
    op.create_index("ix_building_grid_id", "building", ["grid_id"])
    op.execute("ALTER TABLE grid DROP COLUMN area_m2")
