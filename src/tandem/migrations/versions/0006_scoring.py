"""scoring: model versions and their approval, contact scores and history, predictive models

Revision ID: 0006_scoring
Revises: 0001
Create Date: 2026-11-25 14:00:00

The scoring capability's own branch off the initial schema; it creates only its tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0006_scoring"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("scoring",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scoring_model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active_flag", sa.Integer(), nullable=True),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_team", sa.String(length=20), nullable=False),
        sa.Column("proposed_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposal_note", sa.String(length=2000), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=2000), nullable=True),
        sa.Column("superseded_at", tandem.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["base_version_id"],
            ["scoring_model_versions.id"],
            name="fk_scoring_model_versions_base",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_scoring_model_versions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_scoring_model_versions_proposed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_model_versions")),
        sa.UniqueConstraint("name", "version", name="uq_scoring_model_versions_name_version"),
    )
    op.create_index(
        "ix_scoring_model_versions_status", "scoring_model_versions", ["status"], unique=False
    )
    op.create_index(
        "uq_scoring_model_versions_active", "scoring_model_versions", ["active_flag"], unique=True
    )
    op.create_table(
        "scoring_predictive_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("trained_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("as_of", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("auc", sa.Float(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("active_flag", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trained_by_id"],
            ["users.id"],
            name=op.f("fk_scoring_predictive_models_trained_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_predictive_models")),
    )
    op.create_index(
        "uq_scoring_predictive_models_active",
        "scoring_predictive_models",
        ["active_flag"],
        unique=True,
    )
    op.create_table(
        "contact_predictions",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("predictive_model_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("scored_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_predictions_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["predictive_model_id"],
            ["scoring_predictive_models.id"],
            name="fk_contact_predictions_model",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_predictions")),
    )
    op.create_index(
        op.f("ix_contact_predictions_predictive_model_id"),
        "contact_predictions",
        ["predictive_model_id"],
        unique=False,
    )
    op.create_table(
        "contact_score_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("fit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("engagement", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("is_mql", sa.Boolean(), nullable=False),
        sa.Column("at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_score_history_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["scoring_model_versions.id"],
            name="fk_contact_score_history_version",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_score_history")),
    )
    op.create_index(
        "ix_contact_score_history_contact_time",
        "contact_score_history",
        ["contact_id", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contact_score_history_model_version_id"),
        "contact_score_history",
        ["model_version_id"],
        unique=False,
    )
    op.create_table(
        "contact_scores",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=120), nullable=False),
        sa.Column("fit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("engagement", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("is_mql", sa.Boolean(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("scored_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_scores_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["scoring_model_versions.id"],
            name=op.f("fk_contact_scores_model_version_id_scoring_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_scores")),
    )
    op.create_index(
        op.f("ix_contact_scores_model_version_id"),
        "contact_scores",
        ["model_version_id"],
        unique=False,
    )
    op.create_index("ix_contact_scores_total", "contact_scores", ["total"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_contact_scores_total", table_name="contact_scores")
    op.drop_index(op.f("ix_contact_scores_model_version_id"), table_name="contact_scores")
    op.drop_table("contact_scores")
    op.drop_index(
        op.f("ix_contact_score_history_model_version_id"), table_name="contact_score_history"
    )
    op.drop_index("ix_contact_score_history_contact_time", table_name="contact_score_history")
    op.drop_table("contact_score_history")
    op.drop_index(
        op.f("ix_contact_predictions_predictive_model_id"), table_name="contact_predictions"
    )
    op.drop_table("contact_predictions")
    op.drop_index("uq_scoring_predictive_models_active", table_name="scoring_predictive_models")
    op.drop_table("scoring_predictive_models")
    op.drop_index("uq_scoring_model_versions_active", table_name="scoring_model_versions")
    op.drop_index("ix_scoring_model_versions_status", table_name="scoring_model_versions")
    op.drop_table("scoring_model_versions")
