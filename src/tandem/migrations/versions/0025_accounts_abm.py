"""accounts: hierarchy, account scores, target list memberships, stage snapshots, intent
signals, committee roles and saved views (new tables only: `accounts`, `contacts` and
`activities` are not rebuilt)

Revision ID: 0025_accounts_abm
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0025_accounts_abm"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = tandem.db.UTCDateTime(timezone=True)


def _fk(column: str, table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{table}.id"], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "account_parents",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        _fk("account_id", "accounts"),
        _fk("parent_id", "accounts"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_index("ix_account_parents_parent_id", "account_parents", ["parent_id"])
    op.create_table(
        "account_scores",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(120), nullable=False),
        sa.Column("total", sa.Numeric(12, 2), nullable=False),
        sa.Column("fit", sa.Numeric(12, 2), nullable=False),
        sa.Column("engagement", sa.Numeric(12, 2), nullable=False),
        sa.Column("intent", sa.Numeric(12, 2), nullable=False),
        sa.Column("coverage", sa.Numeric(12, 2), nullable=False),
        sa.Column("is_mqa", sa.Boolean(), nullable=False),
        sa.Column("people_engaged", sa.Integer(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("roles_missing", sa.JSON(), nullable=False),
        sa.Column("last_touch_at", T, nullable=True),
        sa.Column("mqa_at", T, nullable=True),
        sa.Column("scored_at", T, nullable=False),
        _fk("account_id", "accounts"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_index("ix_account_scores_total", "account_scores", ["total"])
    op.create_table(
        "target_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(100), nullable=False),
        sa.Column("list_version", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(120), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        _fk("account_id", "accounts"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_target_memberships_account", "target_memberships", ["account_id", "joined_on"]
    )
    op.create_table(
        "account_stage_snapshots",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=True),
        _fk("account_id", "accounts"),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )
    op.create_index("ix_account_stage_snapshots_day", "account_stage_snapshots", ["day", "stage"])
    op.create_table(
        "account_intent_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("observed_at", T, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        _fk("account_id", "accounts"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_account_intent_account", "account_intent_signals", ["account_id", "observed_at"]
    )
    op.create_table(
        "committee_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", T, nullable=False),
        _fk("account_id", "accounts"),
        _fk("contact_id", "contacts"),
        _fk("opportunity_id", "opportunities"),
        _fk("confirmed_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_committee_roles_account", "committee_roles", ["account_id"])
    op.create_index(
        "uq_committee_roles_contact",
        "committee_roles",
        ["contact_id", "opportunity_id"],
        unique=True,
    )
    op.create_table(
        "account_saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        _fk("user_id", "users"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_saved_views_user_id", "account_saved_views", ["user_id"])


def downgrade() -> None:
    for table in (
        "account_saved_views",
        "committee_roles",
        "account_intent_signals",
        "account_stage_snapshots",
        "target_memberships",
        "account_scores",
        "account_parents",
    ):
        op.drop_table(table)
