"""usage: per-user usage facts, usage event keys, PQL matches

Revision ID: 0030_usage_users_pql
Revises: 0028_search_names
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0030_usage_users_pql"
down_revision: str | None = "0028_search_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "user_usage_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        _fk("user_usage_facts", "contact_id", "contacts"),
        _fk("user_usage_facts", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_usage_facts")),
        sa.UniqueConstraint(
            "contact_id",
            "metric",
            "period_start",
            "period",
            name=op.f("uq_user_usage_facts_contact_id"),
        ),
    )
    op.create_index(
        "ix_user_usage_facts_account_period", "user_usage_facts", ["account_id", "period_start"]
    )
    op.create_table(
        "usage_event_keys",
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=True),
        sa.Column("received_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_key", name=op.f("pk_usage_event_keys")),
    )
    op.create_table(
        "pql_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=False),
        sa.Column("matched_on", sa.Date(), nullable=False),
        sa.Column("matched_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("became_mql", sa.Boolean(), nullable=False),
        _fk("pql_matches", "contact_id", "contacts"),
        _fk("pql_matches", "account_id", "accounts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pql_matches")),
        sa.UniqueConstraint("contact_id", "rule_version", name=op.f("uq_pql_matches_contact_id")),
    )
    op.create_index(op.f("ix_pql_matches_matched_on"), "pql_matches", ["matched_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pql_matches_matched_on"), table_name="pql_matches")
    op.drop_table("pql_matches")
    op.drop_table("usage_event_keys")
    op.drop_index("ix_user_usage_facts_account_period", table_name="user_usage_facts")
    op.drop_table("user_usage_facts")
