"""Scoring tables: model versions with their approval trail, stored scores, score history, and
the predictive model with its per-contact predictions."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tandem.activities.models import BigId
from tandem.db import Base, UTCDateTime, utcnow


class VersionStatus:
    """Where a model version stands. Plain strings so SQL filters and JSON read the same."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ScoringModelVersion(Base):
    """One proposed version of the scoring model, its YAML as proposed, and who decided on it.

    `active_flag` is 1 on the active version and NULL elsewhere; its unique index lets the
    database itself refuse a second active version, whatever two approvers do at once.
    """

    __tablename__ = "scoring_model_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_scoring_model_versions_name_version"),
        Index("uq_scoring_model_versions_active", "active_flag", unique=True),
        Index("ix_scoring_model_versions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.PROPOSED)
    active_flag: Mapped[int | None] = mapped_column(Integer)
    # The version that was active when this one was proposed: the diff the approver sees.
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "scoring_model_versions.id", ondelete="SET NULL", name="fk_scoring_model_versions_base"
        )
    )
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_team: Mapped[str] = mapped_column(String(20))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proposal_note: Mapped[str | None] = mapped_column(String(2000))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(2000))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self) -> str:
        """`name@version`, the form used in stage-transition actors and the handoff packet."""
        return f"{self.name}@{self.version}"


class ContactScore(Base):
    """A contact's latest rule score, its explanation, and the incremental engine's state.

    `state` is the engine's `ScoreState` (rule id -> occurrence times, pruned); NULL after a
    bulk rescore, when the next activity rebuilds it from the contact's history.
    `model_version` repeats the label so readers (the handoff packet) need no join.
    """

    __tablename__ = "contact_scores"
    __table_args__ = (Index("ix_contact_scores_total", "total"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("scoring_model_versions.id", ondelete="CASCADE"), index=True
    )
    model_version: Mapped[str] = mapped_column(String(120))
    fit: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    engagement: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    grade: Mapped[str] = mapped_column(String(1))
    is_mql: Mapped[bool] = mapped_column(Boolean)
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactScoreHistory(Base):
    """One point of a contact's score over time (appended when the score changes)."""

    __tablename__ = "contact_score_history"
    __table_args__ = (Index("ix_contact_score_history_contact_time", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey(
            "scoring_model_versions.id",
            ondelete="CASCADE",
            name="fk_contact_score_history_version",
        ),
        index=True,
    )
    fit: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    engagement: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    is_mql: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(String(20))  # "activity" or "rescore"


class PredictiveModelRecord(Base):
    """A trained predictive model, stored as numbers (encoder, coefficients, calibration) in
    JSON rather than a pickle, so it can be read, diffed and loaded by any Tandem version."""

    __tablename__ = "scoring_predictive_models"
    __table_args__ = (Index("uq_scoring_predictive_models_active", "active_flag", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer)
    positives: Mapped[int] = mapped_column(Integer)
    auc: Mapped[float] = mapped_column(Float)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    active_flag: Mapped[int | None] = mapped_column(Integer)


class ContactPrediction(Base):
    """A contact's predictive score (calibrated probability, 0-100) and its top factors."""

    __tablename__ = "contact_predictions"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    predictive_model_id: Mapped[int] = mapped_column(
        ForeignKey(
            "scoring_predictive_models.id", ondelete="CASCADE", name="fk_contact_predictions_model"
        ),
        index=True,
    )
    probability: Mapped[float] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
