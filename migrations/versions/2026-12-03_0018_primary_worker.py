"""primary_worker: gm_primary_worker(grid_id), the "which worker answers for a grid" rule, once

A grid may have several workers (full-time and part-time, primary and secondary); locate,
geocode, the locate index and the grid list name one: the primary one, full-time before
part-time, then the lowest id. The rule lived in four SQL files; now they all call this set
function (LANGUAGE sql, STABLE, one SELECT: PostgreSQL inlines it into the caller's plan, so
a LATERAL call still reads grid_worker_grid's index per grid). The bulk assignment keeps its
own set-based DISTINCT ON with the same ORDER BY (tests/gis/grids/test_workers.py checks
that both name the same worker for every demo event).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION gm_primary_worker(p_grid_id integer) RETURNS SETOF grid_worker
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$
            SELECT gw.* FROM grid_worker_grid gwg JOIN grid_worker gw ON gw.id = gwg.worker_id
            WHERE gwg.grid_id = p_grid_id
            ORDER BY gwg.is_primary DESC, gw.role = 'full_time' DESC, gw.id
            LIMIT 1
        $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION gm_primary_worker(integer)")
