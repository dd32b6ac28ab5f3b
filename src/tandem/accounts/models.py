"""Accounts: the companies marketing targets and sales sells to."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class Account(Base):
    """A company, with the firmographics that fit scoring, routing and ABM read."""

    __tablename__ = "accounts"
    # The search box finds an account by the start of its name: an index range, not a scan.
    __table_args__ = (Index("ix_accounts_name_lower", func.lower(text("name"))),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    industry: Mapped[str | None] = mapped_column(String(100), index=True)
    employee_band: Mapped[str | None] = mapped_column(String(20))
    employees: Mapped[int | None] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(50), index=True)
    country: Mapped[str | None] = mapped_column(String(2))
    annual_revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_target: Mapped[bool] = mapped_column(Boolean, default=False)
    tier: Mapped[str | None] = mapped_column(String(10))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the record came from (tandem.contacts.sources): kept from its first writer.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("record_sources.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
