"""View-models of the dashboards: what the HTML pages render and the JSON API returns."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from tandem.metrics.schemas import FigureOut


class Notice(BaseModel):
    """A plain sentence shown instead of a misleading number or an empty chart."""

    level: Literal["info", "warning"] = "info"
    message: str


class FilterState(BaseModel):
    """The filters a view was computed with, the values on offer and what was refused."""

    start: date
    end: date
    values: dict[str, str]
    options: dict[str, list[str]]
    issues: list[Notice] = []
    by: str | None = None
    view: str | None = None


class StageCount(BaseModel):
    stage: str
    contacts: int


class MonthStageCount(BaseModel):
    month: str
    stage: str
    contacts: int


class Conversion(BaseModel):
    """Of the contacts that reached `from_stage` in the range, how many reached `to_stage`."""

    from_stage: str
    to_stage: str
    entered: int
    converted: int
    rate: float | None
    implied: int = 0  # of `converted`, those whose `to_stage` was implied, not logged


class BreakdownRow(BaseModel):
    """Contacts reaching each stage in the range for one value of a dimension."""

    value: str
    stages: dict[str, int]
    mql_to_sql: float | None
    lead_to_customer: float | None


class FunnelView(BaseModel):
    as_of: datetime
    data_as_of: datetime
    filters: FilterState
    figures: list[FigureOut] = []  # the headline figures, from the metric registry
    totals: list[StageCount]
    monthly: list[MonthStageCount]
    conversions: list[Conversion]
    breakdown: list[BreakdownRow]
    notices: list[Notice] = []


class Durations(BaseModel):
    """Median and 90th percentile of a set of durations, in days."""

    count: int
    median_days: float | None
    p90_days: float | None
    unknown: int = 0  # left out: a date the duration needs is unknown


class Unknown(BaseModel):
    """Deals a money figure leaves out because their amount is unknown (never counted as 0)."""

    unknown_amount: int = 0


class StageTime(Durations):
    stage: str
    still_in_stage: int


class CycleRow(Durations):
    deal_type: str
    outcome: str


class VelocityView(BaseModel):
    as_of: datetime
    data_as_of: datetime
    filters: FilterState
    figures: list[FigureOut] = []  # the headline figures, from the metric registry
    stages: list[StageTime]
    sales_cycle: list[CycleRow]
    notices: list[Notice] = []


class StageAmount(Unknown):
    stage: str
    deals: int
    amount: float


class MonthStageAmount(Unknown):
    month: str
    stage: str
    deals: int
    amount: float


class Coverage(BaseModel):
    """Open pipeline due in the period against what is still needed to hit its target."""

    period: str
    target: float | None
    booked: float
    still_needed: float | None
    open_due: float
    ratio: float | None


class DealTypeRow(Unknown):
    deal_type: str
    created: int
    open: int
    won: int
    lost: int
    win_rate: float | None
    won_amount: float
    average_won: float | None


class DimensionDeals(BaseModel):
    """Deals of one segment, region, vertical or channel: created and closed in the range."""

    dimension: str
    value: str
    created: int
    won: int
    lost: int
    win_rate: float | None
    won_amount: float


class PipelineView(BaseModel):
    as_of: datetime
    data_as_of: datetime
    filters: FilterState
    figures: list[FigureOut] = []  # the headline figures, from the metric registry
    open_deals: int
    open_amount: float
    open_by_stage: list[StageAmount]
    open_by_close_month: list[MonthStageAmount]
    coverage: Coverage
    closed: int
    won: int
    win_rate: float | None
    average_deal_size: float | None
    deal_types: list[DealTypeRow]
    by_dimension: list[DimensionDeals]
    notices: list[Notice] = []


class MqlMonth(BaseModel):
    month: str
    mqls: int
    commitment: float | None


class Acceptance(BaseModel):
    """How sales answered MQLs, read from the lifecycle log (SAL = accepted)."""

    decided: int
    accepted: int
    recycled: int
    disqualified: int
    rate: float | None
    time_to_accept: Durations


class ReasonCount(BaseModel):
    reason: str
    contacts: int


class HandoffStats(BaseModel):
    """How handoffs of MQLs in the range went, by the SLA clocks the handoff recorded."""

    handed_off: int
    accepted: int
    rejected: int
    accept_sla: float | None  # share answered (accepted or rejected) by the accept due time
    first_touch_sla: float | None  # share touched by the first-touch due time
    reject_reasons: list[ReasonCount]


class HandoffView(BaseModel):
    as_of: datetime
    data_as_of: datetime
    filters: FilterState
    figures: list[FigureOut] = []  # the headline figures, from the metric registry
    mql_monthly: list[MqlMonth]
    acceptance: Acceptance
    reject_reasons: list[ReasonCount]
    sla: HandoffStats | None  # None until the handoff capability records handoffs
    notices: list[Notice] = []


class MonthTypeAmount(Unknown):
    month: str
    deal_type: str
    deals: int
    amount: float


class TargetRow(BaseModel):
    period: str
    metric: str
    target: float
    actual: float
    attainment: float | None


class CreditRow(BaseModel):
    key: str
    revenue: float
    deals: int


class RevenueView(BaseModel):
    as_of: datetime
    data_as_of: datetime
    filters: FilterState
    figures: list[FigureOut] = []  # the headline figures, from the metric registry
    bookings: float
    bookings_monthly: list[MonthTypeAmount]
    targets: list[TargetRow]
    attribution_model: str | None  # None: no attribution stored yet
    attribution_models: list[str] = []  # every model the stored run computed
    attribution_computed_at: datetime | None = None
    attribution_config_version: str | None = None
    attributed: float | None = None  # credited to touches, this model, deals won in range
    unattributed: float | None = None  # won deals with no touch in their window
    not_computed_deals: int = 0  # won in range, not in the stored run (won or changed since)
    not_computed_amount: float = 0.0
    by_campaign: list[CreditRow]
    by_channel: list[CreditRow]
    notices: list[Notice] = []
