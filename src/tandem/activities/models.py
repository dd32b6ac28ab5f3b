"""Activities: the append-only log of every touch by a contact."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL needs BIGINT at 20M+ rows.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Activity(Base):
    """One touch: a visit, download, email click, call, meeting... never updated in place.

    `occurred_at` is when the touch happened, `received_at` when Tandem learnt of it; the
    idempotency key makes a resent event land once.
    """

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_contact_time", "contact_id", "occurred_at"),
        # Partial, as most touches name no campaign (every read of it names one).
        Index(
            "ix_activities_campaign",
            "campaign_id",
            sqlite_where=text("campaign_id IS NOT NULL"),
            postgresql_where=text("campaign_id IS NOT NULL"),
        ),
        Index("ix_activities_type_time", "type", "occurred_at"),
        # The touches naming an asset (tandem.content: usage, buyer views, the purge list);
        # partial, as most touches name none.
        Index(
            "ix_activities_asset",
            "asset_id",
            "occurred_at",
            sqlite_where=text("asset_id IS NOT NULL"),
            postgresql_where=text("asset_id IS NOT NULL"),
        ),
        # A named index rather than an inline UNIQUE so bulk loads can drop and rebuild it.
        Index("uq_activities_idempotency_key", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2000))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Where the record came from (tandem.contacts.sources): kept from its first writer.
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("record_sources.id", ondelete="SET NULL")
    )
