"""security: append-only audit log (triggers), idle expiry of browser sessions

Revision ID: 0012_security
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db
from tandem.audit import guard

revision: str = "0012_security"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("security",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", tandem.db.UTCDateTime(timezone=True), nullable=True)
        )
    guard.create(op.get_bind())


def downgrade() -> None:
    guard.drop(op.get_bind())
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
