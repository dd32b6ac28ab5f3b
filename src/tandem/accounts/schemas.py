"""View-models for the account page."""

from decimal import Decimal

from pydantic import BaseModel

from tandem.contacts.schemas import OpportunitySummary


class CommitteeMember(BaseModel):
    """A contact on the account's buying committee."""

    id: int
    full_name: str
    email: str
    title: str | None
    lifecycle_stage: str


class BuyingRoleGroup(BaseModel):
    """The contacts playing one buying role."""

    role: str
    label: str
    contacts: list[CommitteeMember]


class AccountDetail(BaseModel):
    """Everything the account page shows."""

    id: int
    name: str
    domain: str | None
    industry: str | None
    employee_band: str | None
    region: str | None
    country: str | None
    annual_revenue: Decimal | None
    owner_name: str | None
    is_target: bool
    tier: str | None
    contact_count: int
    roles_covered: list[str]
    committee: list[BuyingRoleGroup]
    opportunities: list[OpportunitySummary]
    version: int = 1  # what an edit names in If-Match (tandem.records)
