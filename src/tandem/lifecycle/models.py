"""The lifecycle transition log: every stage move of every contact."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime


class StageTransition(Base):
    """A contact moved from one stage to another; appended, never edited.

    `actor` names what caused it when no user did (e.g. ``scoring:v3`` or ``import:hubspot``).
    """

    __tablename__ = "stage_transitions"
    __table_args__ = (
        Index("ix_stage_transitions_contact_time", "contact_id", "occurred_at"),
        Index("ix_stage_transitions_to_time", "to_stage", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))


class DealStageTransition(Base):
    """A deal moved from one pipeline stage to another; appended, never edited (written only
    by `tandem.lifecycle.deal_service`)."""

    __tablename__ = "deal_stage_transitions"
    __table_args__ = (
        Index("ix_deal_stage_transitions_deal_time", "opportunity_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(40))
    to_stage: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
