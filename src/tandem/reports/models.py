"""Who receives the weekly review by email, and which weeks were sent."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class ReportSubscription(Base):
    """An address that receives a report (today: the weekly review)."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (UniqueConstraint("report", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(30), default="weekly")
    email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportDelivery(Base):
    """One report period sent: the schedule sends each week once, however often it runs."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("report", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(10))
    recipients: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
