"""opportunities: custom fields (CRM extras such as SDR ids or sales managers)

Revision ID: 0011_opportunity_custom_fields
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_opportunity_custom_fields"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("opportunities") as batch:
        batch.add_column(sa.Column("custom_fields", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("custom_fields")
