"""Product usage facts per customer account and period."""

from datetime import date

from sqlalchemy import Date, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base


class UsageFact(Base):
    """One metric's value for one account over one period (day, week or month)."""

    __tablename__ = "usage_facts"
    __table_args__ = (UniqueConstraint("account_id", "metric", "period_start", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    period_start: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(10), default="month")
