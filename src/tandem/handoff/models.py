"""Handoff tables: one record per MQL handed to sales, routing state, escalations, the inbox."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class HandoffStatus:
    """Where a handoff stands. Plain strings, so SQL filters and the JSON read the same."""

    OPEN = "open"  # waiting for accept or reject
    ACCEPTED = "accepted"  # SAL: the first-touch clock may still run
    REJECTED = "rejected"
    CLOSED = "closed"  # the contact left the stage by some other path

    LIVE = (OPEN, ACCEPTED)


class Subject:
    """What a handoff hands to sales: a lead (a contact at its MQL moment), or an account as a
    marketing-qualified account (MQA), an expansion signal or a churn risk of its usage."""

    LEAD = "lead"
    ACCOUNT = "account"  # an MQA
    EXPANSION = "expansion"
    CHURN_RISK = "churn_risk"

    ACCOUNTS = (ACCOUNT, EXPANSION, CHURN_RISK)
    ALL = (LEAD, *ACCOUNTS)
    LABELS = {LEAD: "Lead", ACCOUNT: "MQA", EXPANSION: "Expansion", CHURN_RISK: "Churn risk"}


class Handoff(Base):
    """One MQL episode of a contact, or one episode of an account (its MQA moment, a usage
    signal): who got it, its SLA clocks and how sales answered.

    `subject` says which (`Subject`); a lead has `contact_id`, the others `account_id` and an
    `episode` ("mqa:<moment>", "signal:<id>") that keeps them unique, so the same event twice
    makes one handoff. `mql_at` is the moment of the episode for every subject.

    The clocks start at `clock_started_at` (the handoff, or the last reassignment). The due
    times are stored so queues sort in SQL and the scheduler only looks at rows whose
    `next_check_at` has come; the pure `sla_clock` stays the one definition of status.
    Campaign, channel and source are kept as of the handoff, for reject-reason reports.
    """

    __tablename__ = "handoffs"
    __table_args__ = (
        UniqueConstraint("contact_id", "mql_at", name="uq_handoffs_contact_mql"),
        UniqueConstraint("account_id", "episode", name="uq_handoffs_account_episode"),
        Index("ix_handoffs_subject_account", "subject", "account_id"),
        Index("ix_handoffs_owner_status", "owner_id", "status"),
        # Covers the open leads per owner that routing counts at every MQL (1.2 ms, not 10,
        # with 13,000 live handoffs).
        Index("ix_handoffs_status_owner", "status", "owner_id"),
        Index("ix_handoffs_status_check", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), default=Subject.LEAD, server_default="lead")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    episode: Mapped[str | None] = mapped_column(String(60))
    signal_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_signals.id", ondelete="SET NULL")
    )
    # The expansion opportunity an accepted expansion opened.
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL")
    )
    mql_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cause: Mapped[str | None] = mapped_column(String(100))  # e.g. scoring:v3, import:hubspot
    status: Mapped[str] = mapped_column(String(20), default=HandoffStatus.OPEN)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queue: Mapped[str | None] = mapped_column(String(100))
    team: Mapped[str | None] = mapped_column(String(100))
    rule_id: Mapped[str] = mapped_column(String(100))
    route_reason: Mapped[str] = mapped_column(String(1000))
    policy: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str | None] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(50))
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_touch_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reject_code: Mapped[str | None] = mapped_column(String(50))
    reject_comment: Mapped[str | None] = mapped_column(String(2000))
    first_touch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reassignments: Mapped[int] = mapped_column(Integer, default=0)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoutingCursor(Base):
    """The next round-robin slot of one pool (a team id, or rule:<id> for a rep list)."""

    __tablename__ = "handoff_routing_cursors"

    pool: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RepSetting(Base):
    """A user's live handoff settings: away, a capacity override, how they get email."""

    __tablename__ = "handoff_rep_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)  # overrides routing.yaml when set
    email_mode: Mapped[str] = mapped_column(String(10), default="instant")  # instant|digest|off
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SlaEscalation(Base):
    """An escalation step acted on. The unique key is what makes a breach notify only once."""

    __tablename__ = "handoff_escalations"
    __table_args__ = (UniqueConstraint("key", name="uq_handoff_escalations_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    handoff_id: Mapped[int] = mapped_column(
        ForeignKey("handoffs.id", ondelete="CASCADE"), index=True
    )
    clock: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """One inbox entry; `emailed_at` is set once it went out by email (alone or in a digest).

    `key`, when given, is unique: the same event never lands in an inbox twice.
    """

    __tablename__ = "handoff_notifications"
    __table_args__ = (
        UniqueConstraint("key", name="uq_handoff_notifications_key"),
        Index("ix_handoff_notifications_user_time", "user_id", "created_at"),
        Index("ix_handoff_notifications_unsent", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="SET NULL"))
    key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(String(500))
