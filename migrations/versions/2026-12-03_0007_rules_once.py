"""rules_once: gm_event_open(status) and gm_grid_buildings(grid), each rule written once

``gm_event_open(status)``: an event is open until it is resolved (办结): every state but
resolved 办结, verified 核查 and closed 结案. The list is ``gis.events.workflow.OPEN_STATES``
(tests/gis/events/test_workflow.py compares the two for every state). A one-expression
``LANGUAGE sql IMMUTABLE`` function, not STRICT, so PostgreSQL inlines it into the caller's
WHERE clause.

``gm_grid_buildings(grid_id, theme, geom)``: the buildings of a grid (EPSG:4490 geometry).
A unified grid holds the buildings assignment gave it (``building.grid_id``, most of area);
a thematic grid has no assignment column, so it holds the buildings whose point-on-surface
lies inside it. A one-SELECT ``STABLE`` set-returning SQL function, so PostgreSQL inlines it
as a subquery: each UNION ALL branch keeps its own index (ix_building_grid_id, the GiST index
on building.geom) and the branch of the other theme is cut by a one-time filter.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION gm_event_open(status text) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT status IN ('needs_location', 'reported', 'accepted', 'dispatched',
                                'in_progress', 'returned', 'reopened') $$""")
    op.execute("""
        CREATE FUNCTION gm_grid_buildings(of_grid integer, of_theme text, of_geom geometry)
        RETURNS SETOF building
        LANGUAGE sql STABLE PARALLEL SAFE
        AS $$
            SELECT b.* FROM building AS b
            WHERE of_theme = 'unified' AND b.grid_id = of_grid
            UNION ALL
            SELECT b.* FROM building AS b
            WHERE of_theme <> 'unified' AND b.geom && of_geom
              AND ST_Intersects(of_geom, ST_PointOnSurface(b.geom))
        $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION gm_grid_buildings(integer, text, geometry)")
    op.execute("DROP FUNCTION gm_event_open(text)")
