"""Stored attribution results: what each run credited, so pages and reports read, not recompute.

`tandem attribution run` (or the incremental refresh) writes one `AttributionRunRecord` with
its time and model configuration, one `AttributedOpportunity` per won deal it credited (the
amount it credited, so a deal that changed since can be found) and one `AttributionCredit`
per touch and model (the cents, and the campaign, channel and asset of that touch).
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.activities.models import BigId
from tandem.db import Base, UTCDateTime, utcnow


class AttributionRunRecord(Base):
    """One attribution run: full (every won deal) or incremental (the deals that changed)."""

    __tablename__ = "attribution_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # full | incremental
    # Unique per run: readers keep what they read in memory until the token changes.
    token: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)
    basis: Mapped[str] = mapped_column(String(20), default="won")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    config_version: Mapped[str] = mapped_column(String(50))
    models: Mapped[list[str]] = mapped_column(JSON)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # the whole model configuration
    # Channel shares Markov and Shapley learned in the last full run, reused incrementally.
    shares: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opportunities: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[int] = mapped_column(Integer, default=0)
    unattributed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Campaign ROI's MQL and SQL counts over all dates, counted by a full run so the first
    # page after it reads them: {"lookback_days": n, "rows": [[campaign_id, mqls, sqls], ...]}.
    stage_counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AttributionSnapshot(Base):
    """The latest run's stored credits as the readers want them, one row per touch and a cents
    column per model, and the campaigns that touched each closed deal: Parquet, written by the
    run beside its rows so the first report after it reads one value, not millions of rows."""

    __tablename__ = "attribution_snapshots"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("attribution_runs.id", ondelete="CASCADE"), primary_key=True
    )
    touches: Mapped[int] = mapped_column(Integer)
    credits: Mapped[bytes] = mapped_column(LargeBinary)
    campaign_touches: Mapped[bytes] = mapped_column(LargeBinary)


class AttributedOpportunity(Base):
    """A won deal as its stored credits saw it: the amount credited, or no touch at all."""

    __tablename__ = "attribution_opportunities"

    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(ForeignKey("attribution_runs.id", ondelete="CASCADE"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    touches: Mapped[int] = mapped_column(Integer)  # 0: unattributed (no touch in the window)


class AttributionCredit(Base):
    """The credit one attribution model gave one touch of one won deal, in cents."""

    __tablename__ = "attribution_credits"
    # The scorecard's read of one model answers from the latest run's snapshot; only a run
    # that keeps none also keeps the covering index that read takes (`store.BY_MODEL`).

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("attribution_runs.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str] = mapped_column(String(60))
    activity_id: Mapped[int] = mapped_column(BigId)
    touch_index: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(50))
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    asset_id: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(200))
    credit_cents: Mapped[int] = mapped_column(BigInteger)


class AttributionCampaignTouch(Base):
    """A campaign that touched a closed deal's window, won or lost (the ROI's deal counts)."""

    __tablename__ = "attribution_campaign_touches"

    opportunity_id: Mapped[int] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True)
