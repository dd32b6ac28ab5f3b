"""handoff: handoff records, routing cursors, rep settings, escalations, notifications

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 13:00:00

The handoff capability's own branch off the initial schema; it creates only its tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("handoff",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handoff_routing_cursors",
        sa.Column("pool", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pool", name=op.f("pk_handoff_routing_cursors")),
    )
    op.create_table(
        "handoff_rep_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("away", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("email_mode", sa.String(length=10), nullable=False),
        sa.Column("last_digest_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_handoff_rep_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_handoff_rep_settings")),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("mql_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.Column("team", sa.String(length=100), nullable=True),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("route_reason", sa.String(length=1000), nullable=False),
        sa.Column("policy", sa.String(length=100), nullable=True),
        sa.Column("tier", sa.String(length=100), nullable=True),
        sa.Column("segment", sa.String(length=50), nullable=True),
        sa.Column("clock_started_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accept_due_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_touch_due_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("rejected_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_by_id", sa.Integer(), nullable=True),
        sa.Column("reject_code", sa.String(length=50), nullable=True),
        sa.Column("reject_comment", sa.String(length=2000), nullable=True),
        sa.Column("first_touch_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reassignments", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_handoffs_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_handoffs_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_handoffs_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_handoffs_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rejected_by_id"],
            ["users.id"],
            name=op.f("fk_handoffs_rejected_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
        sa.UniqueConstraint("contact_id", "mql_at", name="uq_handoffs_contact_mql"),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index("ix_handoffs_owner_status", ["owner_id", "status"], unique=False)
        batch_op.create_index("ix_handoffs_status_check", ["status", "next_check_at"], unique=False)

    op.create_table(
        "handoff_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("due_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acted_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_escalations_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_escalations")),
        sa.UniqueConstraint("key", name="uq_handoff_escalations_key"),
    )
    with op.batch_alter_table("handoff_escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_escalations_handoff_id"), ["handoff_id"], unique=False
        )

    op.create_table(
        "handoff_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=300), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("email_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_handoff_notifications_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_notifications_handoff_id_handoffs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_handoff_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_notifications")),
        sa.UniqueConstraint("key", name="uq_handoff_notifications_key"),
    )
    with op.batch_alter_table("handoff_notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_handoff_notifications_unsent", ["emailed_at", "user_id"], unique=False
        )
        batch_op.create_index(
            "ix_handoff_notifications_user_time", ["user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("handoff_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_handoff_notifications_user_time")
        batch_op.drop_index("ix_handoff_notifications_unsent")

    op.drop_table("handoff_notifications")
    with op.batch_alter_table("handoff_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_escalations_handoff_id"))

    op.drop_table("handoff_escalations")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_status_check")
        batch_op.drop_index("ix_handoffs_owner_status")

    op.drop_table("handoffs")
    op.drop_table("handoff_rep_settings")
    op.drop_table("handoff_routing_cursors")
