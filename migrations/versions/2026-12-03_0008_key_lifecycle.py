"""key_lifecycle: fast key digests, expiry and last use on api_key

``digest`` is ``h1:<secret id>:<HMAC-SHA256 of the key under the server secret>`` (see
gis.access.keys): a request finds its key through the unique index in one query, with no
scrypt. Keys made before this revision have no digest yet; the first request with such a key
is checked against its scrypt hash once and stamps the digest (nothing to backfill here: the
migration knows neither the keys nor the server secret). ``expires_at`` NULL never expires;
``last_used_at`` is stamped at most once an hour. ``created_at``, ``revoked_at`` and ``label``
exist since 0001.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_key", sa.Column("digest", sa.String(length=80), nullable=True))
    op.add_column("api_key", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_key", sa.Column("last_used_at", sa.DateTime(timezone=True),
                                       nullable=True))
    op.create_index(op.f("ix_api_key_digest"), "api_key", ["digest"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_key_digest"), table_name="api_key")
    op.drop_column("api_key", "last_used_at")
    op.drop_column("api_key", "expires_at")
    op.drop_column("api_key", "digest")
