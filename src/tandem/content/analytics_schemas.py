"""View-models of the content analytics: one data path, rendered as JSON or as a page."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from tandem.content.schemas import UnusedRow


class Comparison(BaseModel):
    """Win rate with the asset against comparable deals without it (same segment, quarter)."""

    deals_with: int
    won_with: int
    deals_without: int
    won_without: int
    win_rate_with: float | None
    win_rate_without: float | None
    difference: float | None  # pooled over the strata (Mantel-Haenszel)
    ci_low: float | None
    ci_high: float | None
    strata: int
    verdict: str  # higher, lower, no clear difference, too few deals


class InfluenceRow(BaseModel):
    key: str  # asset id, type, journey stage or persona
    label: str
    asset_id: int | None = None
    closed_deals: int  # closed deals whose committee consumed it before close
    won_deals: int
    won_revenue: Decimal  # known amounts of those won deals
    unknown_amount: int  # of those won deals, amount unknown: counted, never credited
    credits: dict[str, Decimal]  # won revenue credited under each model
    comparison: Comparison | None = None


class InfluenceReport(BaseModel):
    as_of: datetime
    by: str
    models: list[str]
    won_deals: int
    credited_deals: int
    unknown_amount: int
    without_content: int
    min_deals: int
    rows: list[InfluenceRow]


class GapCell(BaseModel):
    journey_stage: str
    persona: str
    product: str | None = None
    live_assets: int
    rating: str  # none, thin, covered, crowded
    stalled_contacts: int
    stalled_deals: int
    cost: float


class GapsReport(BaseModel):
    as_of: datetime
    cells: list[GapCell]
    deals_unknown_age: int
    thresholds: str


class Consumed(BaseModel):
    asset_id: int
    title: str
    first_at: datetime
    times: int


class SuggestionOut(BaseModel):
    asset_id: int
    title: str
    score: float
    because: str


class SuggestReport(BaseModel):
    as_of: datetime
    contact_id: int | None = None
    deal_id: int | None = None
    segment: str
    seen: list[Consumed]
    suggestions: list[SuggestionOut]


class BacktestReport(BaseModel):
    as_of: datetime
    cut: datetime
    train_deals: int
    test_deals: int
    k: int
    hit_rate: float | None
    popular_hit_rate: float | None


class UsageRow(BaseModel):
    key: str  # a rep's name or a team, or an asset
    shares: int
    contacts: int  # buyers reached
    views: int  # buyer consumption of what they shared, after the share


class InsightsPage(BaseModel):
    """The content dashboard: usage by rep and team, engagement, influence, gaps, unused."""

    as_of: datetime
    window_days: int
    by_rep: list[UsageRow]
    by_team: list[UsageRow]
    engagement: list[UsageRow]  # per asset: buyer views and distinct buyers
    influence: InfluenceReport
    gaps: list[GapCell]
    unused: list[UnusedRow]  # the purge list (`tandem.content.purge.unused`)


class PacketContent(BaseModel):
    """The content section of a handoff packet: what they consumed, what to send next."""

    contact_id: int
    consumed: list[Consumed]
    suggestions: list[SuggestionOut]
