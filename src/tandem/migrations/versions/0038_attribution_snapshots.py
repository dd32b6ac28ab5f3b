"""attribution: the latest run keeps its credits, one row per touch, as one Parquet snapshot

Revision ID: 0038_attribution_snapshots
Revises: 0035_attribution_stage_counts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038_attribution_snapshots"
down_revision: str | tuple[str, ...] | None = "0035_attribution_stage_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attribution_snapshots",
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("attribution_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.Column("credits", sa.LargeBinary(), nullable=False),
        sa.Column("campaign_touches", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("attribution_snapshots")
