"""attribution: a full run stores campaign ROI's MQL and SQL counts beside its credits

Revision ID: 0035_attribution_stage_counts
Revises: 0028_search_names, 0013_attribution_store
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035_attribution_stage_counts"
# After the attribution store, whose table it changes.
down_revision: str | tuple[str, ...] | None = ("0028_search_names", "0013_attribution_store")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("attribution_runs", sa.Column("stage_counts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attribution_runs") as batch:
        batch.drop_column("stage_counts")
