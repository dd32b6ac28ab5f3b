"""goals: goals and quotas, weekly review subscriptions and deliveries

Revision ID: 0005_goals
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0005_goals"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("goals",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=20), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"],
            ["users.id"],
            name=op.f("fk_goals_set_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_goals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    op.create_index("ix_goals_period", "goals", ["period_start", "period_end"], unique=False)
    op.create_index(op.f("ix_goals_user_id"), "goals", ["user_id"], unique=False)
    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscriptions")),
        sa.UniqueConstraint("report", "email", name=op.f("uq_report_subscriptions_report")),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint("report", "period", name=op.f("uq_report_deliveries_report")),
    )


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_table("report_subscriptions")
    op.drop_index(op.f("ix_goals_user_id"), table_name="goals")
    op.drop_index("ix_goals_period", table_name="goals")
    op.drop_table("goals")
