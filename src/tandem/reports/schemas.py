"""The weekly revenue review's view-model: the same data for the page, the PDF and the email."""

from datetime import date, datetime

from pydantic import BaseModel

from tandem.analytics.charts import Panel
from tandem.analytics.gaps import Gap
from tandem.analytics.ltv import SegmentLtv
from tandem.analytics.schemas import CreditRow, DealTypeRow, Notice
from tandem.goals.pace import Pace
from tandem.metrics.schemas import FigureOut


class WeekAmount(BaseModel):
    week: str
    amount: float
    deals: int
    unknown_amount: int = 0  # won deals of unknown amount: in `deals`, not in `amount`


class RevenueSummary(BaseModel):
    """Won revenue this week and quarter to date, against the quarter's target."""

    week_won: float
    previous_week_won: float
    quarter: str
    quarter_won: float
    target_metric: str | None
    pace: Pace | None
    weekly: list[WeekAmount]


class RegionRow(BaseModel):
    region: str
    created: int
    won: int
    won_amount: float


class VerticalRow(BaseModel):
    vertical: str
    leads_week: int
    leads_trailing: int
    mqls_trailing: int


class WeeklyAttribution(BaseModel):
    """Won revenue of the trailing weeks credited by one model of the stored attribution."""

    model: str
    model_label: str
    computed_at: datetime
    config_version: str
    attributed: float
    unattributed: float  # won deals with no touch in their window
    not_computed_deals: int  # won in the weeks, not in the stored run (won or changed since)
    not_computed_amount: float
    by_channel: list[CreditRow]
    by_campaign: list[CreditRow]


class WeeklyReview(BaseModel):
    """Answers, in order: what closes, what occurs most, revenue against target, LTV per
    segment, regions, verticals and where we fall short."""

    week: str
    start: date
    end: date
    trailing_start: date
    as_of: datetime
    data_as_of: datetime
    has_data: bool
    notices: list[Notice]
    closing_week: list[DealTypeRow]
    closing_trailing: list[DealTypeRow]
    revenue: RevenueSummary
    ltv: list[SegmentLtv]
    ltv_method: str
    regions: list[RegionRow]
    verticals: list[VerticalRow]
    gaps: list[Gap]
    attribution: WeeklyAttribution | None = None  # None: not computed yet
    figures: list[FigureOut] = []  # the week's headline figures, from the metric registry
    more: list[Panel] = []  # sections other capabilities add (`Capability.review_sections`)
