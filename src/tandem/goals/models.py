"""Goals: a target for one metric over one period, for a team or for one person (a quota)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class Goal(Base):
    """A team goal (`team` set) or an individual quota (`user_id` set) for `metric` in `period`.

    `period` is the label (``2026-Q4``, ``2026-11``...); its first day and the day after its
    last are stored too so attainment queries need no parsing.
    """

    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_period", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str | None] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    target: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    set_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
