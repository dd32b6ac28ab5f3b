"""attribution: stored results (runs, credited deals, credits per touch and model, campaigns
that touched each closed deal)

Revision ID: 0013_attribution_store
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0013_attribution_store"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("attribution",)
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attribution_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("started_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("config_version", sa.String(length=50), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("opportunities", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("unattributed_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_runs")),
    )
    op.create_table(
        "attribution_opportunities",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_attribution_opportunities_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["attribution_runs.id"],
            name=op.f("fk_attribution_opportunities_run_id_attribution_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opportunity_id", name=op.f("pk_attribution_opportunities")),
    )
    op.create_table(
        "attribution_credits",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("activity_id", BIG_ID, nullable=False),
        sa.Column("touch_index", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("credit_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_attribution_credits_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["attribution_runs.id"],
            name=op.f("fk_attribution_credits_run_id_attribution_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_credits")),
    )
    op.create_index(
        "ix_attribution_credits_model_opportunity",
        "attribution_credits",
        ["model", "opportunity_id", "campaign_id", "channel", "credit_cents"],
        unique=False,
    )
    op.create_table(
        "attribution_campaign_touches",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_attribution_campaign_touches_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "opportunity_id", "campaign_id", name=op.f("pk_attribution_campaign_touches")
        ),
    )
    op.create_index(
        op.f("ix_attribution_credits_opportunity_id"),
        "attribution_credits",
        ["opportunity_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_attribution_credits_opportunity_id"), table_name="attribution_credits")
    op.drop_index("ix_attribution_credits_model_opportunity", table_name="attribution_credits")
    op.drop_table("attribution_campaign_touches")
    op.drop_table("attribution_credits")
    op.drop_table("attribution_opportunities")
    op.drop_table("attribution_runs")
