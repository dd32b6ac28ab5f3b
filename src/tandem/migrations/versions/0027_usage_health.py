"""usage: entitlements, subscription events, health scores and usage signals

Revision ID: 0027_usage_health
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0027_usage_health"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("usage",)
depends_on: str | Sequence[str] | None = None


def _account() -> sa.Column:
    return sa.Column("account_id", sa.Integer(), nullable=False)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "entitlements",
        sa.Column("id", sa.Integer(), nullable=False),
        _account(),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("allowance", sa.Float(), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=True),
        sa.Column("contract_value", sa.Float(), nullable=True),
        sa.Column("renewal_on", sa.Date(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        _account_fk("entitlements"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlements")),
        sa.UniqueConstraint(
            "account_id", "metric", "valid_from", name=op.f("uq_entitlements_account_id")
        ),
    )
    op.create_index(op.f("ix_entitlements_account_id"), "entitlements", ["account_id"])
    op.create_table(
        "subscription_events",
        sa.Column("id", sa.Integer(), nullable=False),
        _account(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mrr_before", sa.Float(), nullable=False),
        sa.Column("mrr_after", sa.Float(), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=True),
        _account_fk("subscription_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_events")),
        sa.UniqueConstraint(
            "account_id", "kind", "occurred_at", name=op.f("uq_subscription_events_account_id")
        ),
    )
    op.create_index(
        op.f("ix_subscription_events_account_id"), "subscription_events", ["account_id"]
    )
    op.create_table(
        "health_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        _account(),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("scorecard", sa.String(length=50), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=20), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        _account_fk("health_scores"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scores")),
        sa.UniqueConstraint("account_id", "scored_on", name=op.f("uq_health_scores_account_id")),
    )
    op.create_index(op.f("ix_health_scores_scored_on"), "health_scores", ["scored_on"])
    op.create_table(
        "usage_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        _account(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("raised_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _account_fk("usage_signals"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_signals")),
        sa.UniqueConstraint(
            "account_id", "kind", "rule", "period", name=op.f("uq_usage_signals_account_id")
        ),
    )
    op.create_index("ix_usage_signals_status_kind", "usage_signals", ["status", "kind"])


def downgrade() -> None:
    op.drop_index("ix_usage_signals_status_kind", table_name="usage_signals")
    op.drop_table("usage_signals")
    op.drop_index(op.f("ix_health_scores_scored_on"), table_name="health_scores")
    op.drop_table("health_scores")
    op.drop_index(op.f("ix_subscription_events_account_id"), table_name="subscription_events")
    op.drop_table("subscription_events")
    op.drop_index(op.f("ix_entitlements_account_id"), table_name="entitlements")
    op.drop_table("entitlements")
