"""Contacts: the people in the funnel, with their fit, BANT and first-touch facts."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.contacts.buying_roles import BuyingRole
from tandem.db import Base, UTCDateTime, utcnow
from tandem.lifecycle.stages import Stage


class Contact(Base):
    """A person at an account (or not yet matched to one). Email is unique in the workspace."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_stage_owner", "lifecycle_stage", "owner_id"),
        Index("ix_contacts_account", "account_id"),
        # The search box finds contacts by the start of a name: index ranges, not scans.
        Index("ix_contacts_first_name_lower", func.lower(text("first_name"))),
        Index("ix_contacts_last_name_lower", func.lower(text("last_name"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(200))
    job_level: Mapped[str | None] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(String(2))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    buying_role: Mapped[str] = mapped_column(String(20), default=BuyingRole.UNKNOWN.value)
    # BANT: budget is an amount the contact has stated; the rest are coded answers.
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    authority: Mapped[str | None] = mapped_column(String(30))
    need: Mapped[str | None] = mapped_column(String(30))
    timeline: Mapped[str | None] = mapped_column(String(30))
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default=Stage.LEAD.value)
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_touch_source: Mapped[str | None] = mapped_column(String(100))
    first_touch_medium: Mapped[str | None] = mapped_column(String(100))
    first_touch_campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    first_touch_landing_page: Mapped[str | None] = mapped_column(String(2000))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the record came from (tandem.contacts.sources): kept from its first writer.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("record_sources.id", ondelete="SET NULL")
    )
    # Optimistic concurrency (tandem.records): each ORM update bumps it and checks the one
    # read, so an edit made from a stale form is refused instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        """First and last name, or the email when both are missing."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.email


class SourceKind(StrEnum):
    """How records reached Tandem."""

    IMPORT = "import"
    API = "api"
    DEMO = "demo"
    MANUAL = "manual"


class RecordSource(Base):
    """One origin of records: an import job (named by its profile or `--source` label), an API
    token (its name), the demo ("demo"), or a person (manual)."""

    __tablename__ = "record_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), index=True)
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="SET NULL"), index=True
    )
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
