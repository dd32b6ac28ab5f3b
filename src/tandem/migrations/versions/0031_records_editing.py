"""records: version columns for optimistic concurrency on contacts, accounts and deals; the
deal stage log; timeline entries (notes, tasks, logged calls and meetings)

Revision ID: 0031_records_editing
Revises: 0028_search_names
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.db import UTCDateTime

revision: str = "0031_records_editing"
down_revision: str | None = "0028_search_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Exactly one record per entry (as tandem.records.models.ONE_RECORD, kept here as written).
ONE_RECORD = (
    "(CASE WHEN contact_id IS NULL THEN 0 ELSE 1 END) + "
    "(CASE WHEN account_id IS NULL THEN 0 ELSE 1 END) + "
    "(CASE WHEN opportunity_id IS NULL THEN 0 ELSE 1 END) = 1"
)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VERSIONED = ("contacts", "accounts", "opportunities")


def upgrade() -> None:
    # A constant default: SQLite and PostgreSQL add the column without rewriting the table.
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_index(
        "ix_opportunities_board",
        "opportunities",
        [
            "stage",
            "expected_close_on",
            "id",
            "is_closed",
            "closed_at",
            "currency",
            "amount",
            "owner_id",
        ],
    )
    op.create_table(
        "deal_stage_transitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "opportunity_id",
            sa.Integer(),
            sa.ForeignKey("opportunities.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_stage", sa.String(40)),
        sa.Column("to_stage", sa.String(40), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("reason", sa.String(500)),
    )
    op.create_index(
        "ix_deal_stage_transitions_deal_time",
        "deal_stage_transitions",
        ["opportunity_id", "occurred_at"],
    )
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contacts.id", ondelete="CASCADE")),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE")),
        sa.Column(
            "opportunity_id", sa.Integer(), sa.ForeignKey("opportunities.id", ondelete="CASCADE")
        ),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text()),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True)),
        sa.Column("due_on", sa.Date()),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("done_at", UTCDateTime(timezone=True)),
        sa.Column("activity_id", BigId, sa.ForeignKey("activities.id", ondelete="SET NULL")),
        sa.CheckConstraint(ONE_RECORD, name="ck_timeline_entries_one_record"),
    )
    for name, columns in (
        ("ix_timeline_entries_contact", ["contact_id", "created_at"]),
        ("ix_timeline_entries_account", ["account_id", "created_at"]),
        ("ix_timeline_entries_opportunity", ["opportunity_id", "created_at"]),
        ("ix_timeline_entries_open_tasks", ["owner_id", "done_at", "due_on"]),
    ):
        op.create_index(name, "timeline_entries", columns)


def downgrade() -> None:
    op.drop_table("timeline_entries")
    op.drop_table("deal_stage_transitions")
    op.drop_index("ix_opportunities_board", table_name="opportunities")
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
