"""activities: the campaign index holds only the touches that name a campaign

Most touches name none (web visits, email opens); their NULLs filled half of a bulk load's index
builds and were never read through this index (every read of it asks for one campaign or joins
campaigns, both of which imply `campaign_id IS NOT NULL`).

Revision ID: 0037_activities_campaign_partial
Revises: 0035_attribution_stage_counts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037_activities_campaign_partial"
down_revision: str | tuple[str, ...] | None = "0035_attribution_stage_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMED = sa.text("campaign_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_activities_campaign", table_name="activities")
    op.create_index(
        "ix_activities_campaign",
        "activities",
        ["campaign_id"],
        sqlite_where=NAMED,
        postgresql_where=NAMED,
    )


def downgrade() -> None:
    op.drop_index("ix_activities_campaign", table_name="activities")
    op.create_index("ix_activities_campaign", "activities", ["campaign_id"])
