"""Product usage per customer account: facts, entitlements, subscription history, health and
signals."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime


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


class Entitlement(Base):
    """What an account bought from `valid_from`: an allowance of one metric (seats are the limit on
    `active_users`, unit `seats`), its plan, contract value and renewal date."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("account_id", "metric", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(30))
    allowance: Mapped[float] = mapped_column(Float)
    plan: Mapped[str | None] = mapped_column(String(100))
    contract_value: Mapped[float | None] = mapped_column(Float)
    renewal_on: Mapped[date | None] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class SubscriptionEvent(Base):
    """One change of an account's subscription: start, renewal, upgrade, downgrade or churn,
    with the recurring revenue (MRR) before and after."""

    __tablename__ = "subscription_events"
    __table_args__ = (UniqueConstraint("account_id", "kind", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    mrr_before: Mapped[float] = mapped_column(Float, default=0.0)
    mrr_after: Mapped[float] = mapped_column(Float, default=0.0)
    plan: Mapped[str | None] = mapped_column(String(100))


class HealthScore(Base):
    """An account's health on one day under one health model version, part by part."""

    __tablename__ = "health_scores"
    __table_args__ = (UniqueConstraint("account_id", "scored_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    scored_on: Mapped[date] = mapped_column(Date, index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    scorecard: Mapped[str] = mapped_column(String(50))
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(20))
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class UsageSignal(Base):
    """A churn risk, expansion signal or PQL raised by a rule, once per account, kind, rule and
    period (raising it again the same period changes nothing)."""

    __tablename__ = "usage_signals"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "rule", "period"),
        Index("ix_usage_signals_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # churn_risk | expansion | pql
    rule: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10))  # ISO week, e.g. 2026-W49
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="open")


class UserUsageFact(Base):
    """One metric's value for one user of the product (a contact) over one period, with the
    account the contact uses it for. Every key column is NOT NULL, so the unique key holds: the
    same user, metric and period again updates the one row (a NULL in a unique key would let
    duplicates in)."""

    __tablename__ = "user_usage_facts"
    __table_args__ = (
        UniqueConstraint("contact_id", "metric", "period_start", "period"),
        Index("ix_user_usage_facts_account_period", "account_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    period_start: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(10), default="day")


class UsageEventKey(Base):
    """An event key the usage event API stored (`POST /api/v1/usage/events`): the same key
    again is a duplicate, never applied twice, whatever its value."""

    __tablename__ = "usage_event_keys"

    event_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))  # account | user
    fact_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PqlMatch(Base):
    """A user whose usage matched a PQL rule version: once per contact and version, with the
    usage behind it and whether it made the contact an MQL (`pql:<version>`)."""

    __tablename__ = "pql_matches"
    __table_args__ = (UniqueConstraint("contact_id", "rule_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(String(100))
    matched_on: Mapped[date] = mapped_column(Date, index=True)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    became_mql: Mapped[bool] = mapped_column(default=False)
