"""handoff: accounts handed to sales through the same handoff as leads (an MQA, an expansion
signal, a churn risk): the handoff's subject, its account, signal, episode and opportunity

Revision ID: 0029_handoff_accounts
Revises: 0028_search_names, 0023_record_sources, 0025_accounts_abm, 0027_usage_health
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_handoff_accounts"
# Also a merge: the handoffs table (0003..0023), accounts and usage signals must exist first.
down_revision: str | tuple[str, ...] | None = (
    "0028_search_names",
    "0023_record_sources",
    "0025_accounts_abm",
    "0027_usage_health",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch:
        batch.add_column(
            sa.Column("subject", sa.String(length=20), server_default="lead", nullable=False)
        )
        batch.alter_column("contact_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("episode", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("signal_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("opportunity_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_handoffs_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            op.f("fk_handoffs_signal_id_usage_signals"),
            "usage_signals",
            ["signal_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_handoffs_opportunity_id_opportunities"),
            "opportunities",
            ["opportunity_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint("uq_handoffs_account_episode", ["account_id", "episode"])
        batch.create_index("ix_handoffs_subject_account", ["subject", "account_id"])


def downgrade() -> None:
    op.execute("DELETE FROM handoffs WHERE subject <> 'lead'")
    with op.batch_alter_table("handoffs", schema=None) as batch:
        batch.drop_index("ix_handoffs_subject_account")
        batch.drop_constraint("uq_handoffs_account_episode", type_="unique")
        batch.drop_constraint(op.f("fk_handoffs_opportunity_id_opportunities"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_handoffs_signal_id_usage_signals"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_handoffs_account_id_accounts"), type_="foreignkey")
        batch.drop_column("opportunity_id")
        batch.drop_column("signal_id")
        batch.drop_column("episode")
        batch.drop_column("account_id")
        batch.alter_column("contact_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("subject")
