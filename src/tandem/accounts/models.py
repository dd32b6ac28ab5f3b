"""Accounts: the companies marketing targets and sales sells to."""

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
    func,
    text,
)
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
    # Optimistic concurrency (tandem.records): each ORM update bumps it and checks the one
    # read, so an edit made from a stale form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AccountParent(Base):
    """An account's parent (a subsidiary's group), kept beside `accounts` so a 100k-row
    table is never rebuilt to add a column; cycles are refused by `service.set_parents`."""

    __tablename__ = "account_parents"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )


class AccountScore(Base):
    """An account's current score under the active account score model, explained."""

    __tablename__ = "account_scores"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    model_version: Mapped[str] = mapped_column(String(120))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), index=True)
    fit: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    engagement: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    intent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    coverage: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    is_mqa: Mapped[bool] = mapped_column(Boolean, default=False)
    people_engaged: Mapped[int] = mapped_column(Integer, default=0)
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    roles_missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mqa_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the MQA moment
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TargetMembership(Base):
    """One stay of an account on a target list version's tier: history survives list changes."""

    __tablename__ = "target_memberships"
    __table_args__ = (Index("ix_target_memberships_account", "account_id", "joined_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    list_name: Mapped[str] = mapped_column(String(100))
    list_version: Mapped[int] = mapped_column(Integer)
    tier: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(120))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class AccountStageSnapshot(Base):
    """An account's journey stage on a day (written once a day, idempotently)."""

    __tablename__ = "account_stage_snapshots"
    __table_args__ = (Index("ix_account_stage_snapshots_day", "day", "stage"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stage: Mapped[str] = mapped_column(String(40))
    tier: Mapped[int | None] = mapped_column(Integer)


class IntentSignal(Base):
    """An imported intent signal: a topic or page an account researched, with a strength."""

    __tablename__ = "account_intent_signals"
    __table_args__ = (Index("ix_account_intent_account", "account_id", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(200))
    strength: Mapped[int] = mapped_column(Integer, default=100)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(100), default="import")


class CommitteeRole(Base):
    """A contact's buying role on its account's committee (opportunity_id null) or on a deal:
    imported, guessed from the title with a confidence, or confirmed/changed by the rep."""

    __tablename__ = "committee_roles"
    __table_args__ = (
        Index("ix_committee_roles_account", "account_id"),
        Index("uq_committee_roles_contact", "contact_id", "opportunity_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[int] = mapped_column(Integer, default=100)
    source: Mapped[str] = mapped_column(
        String(60)
    )  # import:hubspot, import:salesforce, title:<rule>, rep
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
