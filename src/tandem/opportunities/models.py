"""Opportunities (deals) and the contacts that play a role on them."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tandem.db import Base, UTCDateTime


class Opportunity(Base):
    """A deal with an account: open, won or lost."""

    __tablename__ = "opportunities"
    __table_args__ = (
        Index("ix_opportunities_account", "account_id"),
        Index("ix_opportunities_closed", "is_closed", "closed_at"),
        Index("ix_opportunities_owner", "owner_id"),
        Index("ix_opportunities_name_lower", func.lower(text("name"))),  # the search box
        # The pipeline board: each column's first cards, soonest expected close first; the
        # columns' counts and totals read the index alone (a scan of it, no row lookups).
        Index(
            "ix_opportunities_board",
            "stage",
            "expected_close_on",
            "id",
            "is_closed",
            "closed_at",
            "currency",
            "amount",
            "owner_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    primary_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL")
    )
    stage: Mapped[str] = mapped_column(String(40))
    # Null when the source did not say: an unknown amount or creation date is never made up
    # (no 0, no import time); `unknown` keeps why, per field.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    is_won: Mapped[bool] = mapped_column(Boolean, default=False)
    lost_reason: Mapped[str | None] = mapped_column(String(100))
    product_line: Mapped[str | None] = mapped_column(String(100))
    deal_type: Mapped[str] = mapped_column(String(20), default="new")
    segment: Mapped[str | None] = mapped_column(String(50))
    region: Mapped[str | None] = mapped_column(String(50))
    vertical: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(100))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The people who worked the deal as the source names them (a CRM's rep, their manager and
    # team), whether or not they are Tandem users; for deals owned by a Tandem user the
    # owner, their team and its manager fill these when read.
    rep_name: Mapped[str | None] = mapped_column(String(200))
    manager_name: Mapped[str | None] = mapped_column(String(200))
    team_name: Mapped[str | None] = mapped_column(String(100))
    # Where the record came from (tandem.contacts.sources): kept from its first writer.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("record_sources.id", ondelete="SET NULL")
    )
    # Optimistic concurrency (tandem.records): each ORM update bumps it and checks the one
    # read, so an edit made from a stale form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    #: field name -> why its value is unknown, e.g. {"created_at": "no creation date in the file"}
    unknown: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    contact_roles: Mapped[list["OpportunityContactRole"]] = relationship(
        back_populates="opportunity", cascade="all, delete-orphan"
    )


class OpportunityContactRole(Base):
    """A contact's role on a deal (the buying committee as sales recorded it)."""

    __tablename__ = "opportunity_contact_roles"
    __table_args__ = (UniqueConstraint("opportunity_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    opportunity: Mapped[Opportunity] = relationship(back_populates="contact_roles")
