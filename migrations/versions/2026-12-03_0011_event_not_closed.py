"""event_not_closed: gm_event_not_closed(status), the "not yet closed (结案)" rule, once

An event is *open* (未办结, ``gm_event_open``, migration 0007) until it is resolved; it is
*not closed* until it is closed (结案): resolved 办结 and verified 核查 events still wait for a
check or the closure, so they belong to a grid and a worker. The list is
``gis.events.workflow.NOT_CLOSED_STATES`` (tests/gis/events/test_workflow.py compares the two
for every state). Plans move every not-closed event of a retired grid (gis.plans.changes).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION gm_event_not_closed(status text) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT status IS DISTINCT FROM 'closed' $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION gm_event_not_closed(text)")
