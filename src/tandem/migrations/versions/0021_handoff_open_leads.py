"""handoff: a covering index for the open leads per owner that routing counts at every MQL

Revision ID: 0021_handoff_open_leads
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_handoff_open_leads"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_handoffs_status_owner", "handoffs", ["status", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_status_owner", table_name="handoffs")
