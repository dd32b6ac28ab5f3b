"""attribution: the covering index of one model's credits only while no snapshot answers

The scorecard's read of one model's credits now answers from the latest run's snapshot
(0038); the covering index over every credit row (1.8 s of a full run's 2.4 s of index builds
at 1,000,000 contacts) is kept only where that read still goes to the rows: when the latest
run kept no snapshot. Runs keep it so from now on (`tandem.attribution.store`).

Revision ID: 0039_attribution_by_model
Revises: 0038_attribution_snapshots
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039_attribution_by_model"
down_revision: str | tuple[str, ...] | None = "0038_attribution_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_attribution_credits_model_opportunity"
COLUMNS = ["model", "opportunity_id", "campaign_id", "channel", "credit_cents"]
RUNS = sa.table("attribution_runs", sa.column("id"), sa.column("finished_at"))
SNAPSHOTS = sa.table("attribution_snapshots", sa.column("run_id"))


def upgrade() -> None:
    bind = op.get_bind()
    latest = bind.execute(
        sa.select(RUNS.c.id)
        .where(RUNS.c.finished_at.is_not(None))
        .order_by(RUNS.c.id.desc())
        .limit(1)
    ).scalar()
    kept = bind.execute(sa.select(SNAPSHOTS.c.run_id).where(SNAPSHOTS.c.run_id == latest)).first()
    if latest is None or kept is not None:  # a snapshot answers the read: no index needed
        op.drop_index(NAME, table_name="attribution_credits")


def downgrade() -> None:
    op.create_index(NAME, "attribution_credits", COLUMNS, if_not_exists=True)
