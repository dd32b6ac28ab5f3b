"""definitions: versioned, jointly approved definitions (routing rules, SLA policies, ...)

Revision ID: 0020_definitions
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0020_definitions"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("definitions",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "definition_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active_key", sa.String(length=150), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name="fk_definition_versions_proposed_by",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name="fk_definition_versions_decided_by",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_versions")),
        sa.UniqueConstraint("kind", "name", "version", name="uq_definition_versions_version"),
    )
    op.create_index(
        "uq_definition_versions_active", "definition_versions", ["active_key"], unique=True
    )
    op.create_index("ix_definition_versions_kind_status", "definition_versions", ["kind", "status"])


def downgrade() -> None:
    op.drop_table("definition_versions")
