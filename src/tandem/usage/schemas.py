"""View-models of the customers dashboard, the account page section and the signal packet."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class SignalRow(BaseModel):
    """One raised signal."""

    id: int
    account_id: int
    account_name: str
    owner_id: int | None
    kind: str
    rule: str
    period: str
    status: str
    raised_at: datetime
    evidence: dict[str, Any]


class Part(BaseModel):
    """One component of a health score, and its change since the previous score."""

    component: str
    kind: str
    value: float | None
    weight: float
    points: float
    change: float | None = None


class HealthPoint(BaseModel):
    """An account's health on one day."""

    scored_on: date
    score: float
    band: str
    model_version: int


class LimitUse(BaseModel):
    """An entitlement and how much of it the last period used (whitespace is the rest)."""

    metric: str
    unit: str
    limit: float
    plan: str | None
    used: float | None
    share: float | None
    renewal_on: date | None


class UsageSeries(BaseModel):
    """One metric's recent values."""

    metric: str
    points: list[tuple[date, float]]


class AccountUsage(BaseModel):
    """The account page's usage section."""

    account_id: int
    has_data: bool
    health: list[HealthPoint]
    parts: list[Part]
    scorecard: str | None
    why: list[str]  # the biggest changes since the previous score, in words
    series: list[UsageSeries]
    limits: list[LimitUse]
    unused_features: list[str]
    signals: list[SignalRow]


class SignalPacket(BaseModel):
    """What the account owner sees for one signal: the signal, the account, the usage behind
    it and the account's health part by part (the handoff's packet reads this)."""

    signal: SignalRow
    owner_id: int | None
    owner_name: str | None
    account: AccountUsage


class Tile(BaseModel):
    """One figure on the dashboard."""

    name: str
    label: str
    value: float | None
    unit: str
    note: str = ""
    link: str | None = None  # the registry's page of the figure


class Distribution(BaseModel):
    """Health bands of one group (a segment or an owner)."""

    group: str
    accounts: int
    healthy: int
    neutral: int
    at_risk: int
    mean_score: float | None


class CustomersView(BaseModel):
    """The customers dashboard."""

    as_of: datetime
    window: str
    scored_on: date | None
    tiles: list[Tile]
    by_segment: list[Distribution]
    by_owner: list[Distribution]
    signals: list[SignalRow]
