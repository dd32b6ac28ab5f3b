"""Survey waves, their invitations (one-time links, stored hashed) and anonymous responses.

A response row keeps no link to the person who gave it: no user, contact, invitation or time,
only the audience (and the account, for customers) and an opaque respondent key that groups
one person's answers. The invitation records only that its link was used.
"""

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime


class WaveStatus:
    OPEN = "open"
    CLOSED = "closed"


class SurveyWave(Base):
    """One round of a survey instrument (a definition version) sent to chosen people."""

    __tablename__ = "survey_waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    instrument: Mapped[str] = mapped_column(String(100))  # the definition's name
    # The instrument's version (no foreign key: the definitions' migrations are a sibling
    # branch; versions are never deleted).
    definition_version_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=WaveStatus.OPEN)
    min_group: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)  # the period asked about (say vs do)
    period_end: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SurveyInvitation(Base):
    """A personal one-time link: only the SHA-256 of its token is stored."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("wave_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(254))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used: Mapped[bool] = mapped_column(default=False)


class SurveyResponse(Base):
    """One answer of one (anonymous) respondent to one statement."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("wave_id", "respondent", "statement"),
        Index("ix_survey_responses_wave", "wave_id", "audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_waves.id", ondelete="CASCADE"))
    respondent: Mapped[str] = mapped_column(String(64))
    audience: Mapped[str] = mapped_column(String(20))
    account: Mapped[str | None] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(String(40))
    answer: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
