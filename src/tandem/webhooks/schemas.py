"""Webhook view-models: what the API returns and the page shows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SubscriptionIn(BaseModel):
    """A new subscription: where to send which events."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1, max_length=10)
    description: str = Field(default="", max_length=200)


class SubscriptionOut(BaseModel):
    """A subscription as listed; `secret` only in the answer that created it."""

    id: int
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime
    secret: str | None = None


class DeliveryOut(BaseModel):
    """One delivery in the log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    subscription_id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryReport(BaseModel):
    """What one run of the worker did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
