"""The content library: assets tagged by journey stage and persona, the tracked shares reps send
to buyers, reps' feedback, the deals an asset was used in, and the jointly approved purges.

A buyer's view of an asset is not a table here: it is an activity (`content_view`, or any
imported activity naming the asset through `activities.asset_id`), so scoring, attribution and
the timeline see it like any other touch.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class AssetStatus:
    """Where an asset stands. Plain strings, so SQL filters and the JSON read the same."""

    DRAFT = "draft"
    LIVE = "live"
    ARCHIVED = "archived"

    ALL = (DRAFT, LIVE, ARCHIVED)


class Asset(Base):
    """One piece of content: a whitepaper, case study, video, demo..."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_status_expires", "status", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    journey_stage: Mapped[str] = mapped_column(String(20), index=True)
    personas: Mapped[list[str]] = mapped_column(JSON, default=list)
    buying_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    file_name: Mapped[str | None] = mapped_column(String(300))  # a stored upload
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=AssetStatus.LIVE)
    # When the owner was last told the asset is past expiry (told once per expiry date).
    expiry_notified_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AssetShare(Base):
    """One recipient of one share action: the personal tracked link, its token kept hashed."""

    __tablename__ = "asset_shares"
    __table_args__ = (
        Index("ix_asset_shares_asset", "asset_id"),
        Index("ix_asset_shares_contact", "contact_id"),
        Index("ix_asset_shares_user", "user_id"),
        Index("ix_asset_shares_batch", "batch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id", ondelete="SET NULL"))
    batch: Mapped[str] = mapped_column(String(40))  # one share action to many recipients
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssetFeedback(Base):
    """A rep's rating of an asset (1-5) and comment; one per rep and asset, re-rating updates."""

    __tablename__ = "asset_feedback"
    __table_args__ = (UniqueConstraint("asset_id", "user_id", name="uq_asset_feedback_asset_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AssetDealUse(Base):
    """A rep marked the asset as used in this deal (once per asset and deal)."""

    __tablename__ = "asset_deal_uses"
    __table_args__ = (
        UniqueConstraint("asset_id", "deal_id", name="uq_asset_deal_uses_asset_deal"),
        Index("ix_asset_deal_uses_deal", "deal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentPurge(Base):
    """A proposal to archive unused or stale assets, with the evidence as of the proposal.

    Proposed by one team (marketing or sales) and approved by the other; approval archives the
    assets still listed. `status`: proposed, approved, rejected.
    """

    __tablename__ = "content_purges"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    months: Mapped[int] = mapped_column(Integer)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_team: Mapped[str] = mapped_column(String(20))  # marketing | sales
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(String(2000))
    # [{asset_id, title, reasons, shares, buyer_views, last_view_at, expires_on}]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
