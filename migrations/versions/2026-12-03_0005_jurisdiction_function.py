"""jurisdiction_function: gm_in_region(unit_code, region_prefix), the one SQL jurisdiction rule

Every query that limits rows to a caller's region calls ``gm_in_region(<unit code>, :scope)``
with ``:scope`` bound to ``gis.access.jurisdiction.scope_prefix(scope)`` (NULL: everywhere).
A NULL unit code is inside no region (the function answers NULL; write ``IS NOT TRUE`` to
select rows outside). It is a one-expression ``LANGUAGE sql IMMUTABLE`` function, not STRICT,
so PostgreSQL inlines it: ``unit LIKE 'prefix%'`` then uses a text_pattern_ops index on the
unit code as before (migration 0004, tests/gis/core/test_jurisdiction_sql.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION gm_in_region(unit_code text, region_prefix text) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT region_prefix IS NULL OR unit_code LIKE region_prefix || '%' $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION gm_in_region(text, text)")
