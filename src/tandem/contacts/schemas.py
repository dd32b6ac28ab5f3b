"""View-models for contact pages and their JSON twins."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class ContactRow(BaseModel):
    """One line of the contacts list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    title: str | None
    account_id: int | None
    account_name: str | None
    lifecycle_stage: str
    owner_name: str | None
    created_at: datetime


class ContactPage(BaseModel):
    """A page of the contacts list with the filters that produced it."""

    items: list[ContactRow]
    total: int
    page: int
    pages: int
    q: str | None
    stage: str | None
    owner_id: int | None


class TimelineEntry(BaseModel):
    """One activity on a contact's timeline, with names resolved."""

    id: int
    type: str
    label: str
    team: str
    occurred_at: datetime
    channel: str | None
    campaign: str | None
    asset: str | None
    asset_stage: str | None
    url: str | None


class ConsumedAsset(BaseModel):
    """A piece of content the contact engaged with, and when first."""

    asset_id: int
    title: str
    journey_stage: str
    first_at: datetime
    times: int


class FirstArrival(BaseModel):
    """How the contact first came to us."""

    source: str | None
    medium: str | None
    campaign: str | None
    landing_page: str | None
    first_activity_at: datetime | None


class TransitionRow(BaseModel):
    """A stage move from the lifecycle log."""

    from_stage: str | None
    to_stage: str
    occurred_at: datetime
    actor: str | None
    reason: str | None


class OpportunitySummary(BaseModel):
    """A deal in a list."""

    id: int
    name: str
    stage: str
    amount: Decimal | None  # None: unknown (the source did not give it)
    currency: str
    is_closed: bool
    is_won: bool
    created_at: datetime | None
    closed_at: datetime | None
    unknown: dict[str, str] = {}  # field -> why its value is unknown


class ContactDetail(BaseModel):
    """Everything the contact page shows."""

    id: int
    email: str
    full_name: str
    title: str | None
    job_level: str | None
    buying_role: str
    lifecycle_stage: str
    owner_name: str | None
    account_id: int | None
    account_name: str | None
    budget: Decimal | None
    authority: str | None
    need: str | None
    timeline: str | None
    first_arrival: FirstArrival
    timeline_entries: list[TimelineEntry]
    timeline_total: int
    content: list[ConsumedAsset]
    transitions: list[TransitionRow]
    opportunities: list[OpportunitySummary]
    version: int = 1  # what an edit names in If-Match (tandem.records)
