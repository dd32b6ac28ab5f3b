"""View-models of the attribution pages and their JSON twins (one data path, two renderings)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

Basis = Literal["won", "pipeline"]
ContactScope = Literal["contact_roles", "account"]
#: Breakdowns the report offers, in the order the page lists them.
DIMENSIONS: tuple[str, ...] = ("campaign", "channel", "asset", "team", "source")


class AttributionFilters(BaseModel):
    """What to attribute: won revenue (by close date) or pipeline created (by creation date).

    `start` and `end` are inclusive days (UTC). `contacts` None uses the configuration's
    `window.contacts`.
    """

    model_config = ConfigDict(frozen=True)

    basis: Basis = "won"
    start: date | None = None
    end: date | None = None
    segment: str | None = None
    region: str | None = None
    vertical: str | None = None
    contacts: ContactScope | None = None
    # Only these deals (the stored results' incremental refresh); None: every deal.
    opportunity_ids: tuple[int, ...] | None = None


class ModelInfo(BaseModel):
    """An attribution model as the page names it."""

    name: str
    label: str


class BreakdownRow(BaseModel):
    """Credits of one campaign/channel/asset/team/source under every model, side by side."""

    key: str | None  # None collects the touches without a campaign (asset, source)
    label: str
    touches: int
    opportunities: int
    credits: dict[str, Decimal]
    spread: Decimal  # largest minus smallest credit across the models
    spread_share: float | None  # spread / largest credit
    look_here: bool  # among the rows where the models disagree most


class Breakdown(BaseModel):
    """Every row of one dimension, the largest credit first."""

    dimension: str
    rows: list[BreakdownRow]


class CampaignRoiRow(BaseModel):
    """Cost efficiency of one campaign; ratios are None where the divisor is zero."""

    campaign_id: int
    name: str
    channel: str | None
    cost: Decimal
    mqls: int
    sqls: int
    opportunities: int
    won: int
    cost_per_mql: Decimal | None
    cost_per_sql: Decimal | None
    cost_per_opportunity: Decimal | None
    cost_per_won: Decimal | None
    attributed: dict[str, Decimal]
    roi: dict[str, Decimal | None]


class UnattributedDeal(BaseModel):
    """A credited deal with no touch in its window: reported, never given a made-up channel."""

    opportunity_id: int
    name: str
    amount: Decimal


class AttributionReport(BaseModel):
    """The attribution page: every model side by side per dimension, ROI, unattributed deals."""

    filters: AttributionFilters
    contacts: ContactScope
    config_version: str
    lookback_days: int
    until_close: bool
    models: list[ModelInfo]
    opportunities: int  # deals credited: won deals, or every opportunity for pipeline
    learning_only: int  # lost deals only Markov and Shapley learn from (won basis)
    total: Decimal  # won revenue or pipeline created
    attributed: dict[str, Decimal]  # per model; plus unattributed_total it makes `total`
    unattributed_total: Decimal
    unattributed: list[UnattributedDeal]
    breakdowns: list[Breakdown]
    roi: list[CampaignRoiRow]
    filter_values: dict[str, list[str]]  # known segments, regions, verticals
    # Where the numbers come from: the stored results ("stored"), computed for this request
    # ("computed": pipeline basis, another contact scope), or nothing stored yet ("none").
    source: Literal["stored", "computed", "none"] = "computed"
    run_id: int | None = None  # the latest stored run (full or incremental)
    computed_at: datetime | None = None  # when that run finished
    full_run_at: datetime | None = None  # when the last full run (the models and shares) ran
    not_computed: list[UnattributedDeal] = []  # won deals not in the stored results yet
    not_computed_total: Decimal = Decimal("0.00")


class RetroEvent(BaseModel):
    """One line of a deal retrospective: a touch, or a milestone event of the deal."""

    kind: Literal["touch", "mql", "opportunity_created", "closed"]
    occurred_at: datetime
    activity_id: int | None = None
    contact_id: int | None = None
    contact_name: str | None = None
    type: str | None = None
    label: str
    team: str | None = None
    channel: str | None = None
    campaign: str | None = None
    asset: str | None = None
    milestones: list[str] = []
    in_window: bool = False  # a touchpoint of the attribution window (credited)
    credits: dict[str, Decimal] = {}


class Retrospective(BaseModel):
    """A won or lost deal's every touch from both teams in time order, with each model's credit.

    A won deal shows its share of won revenue; a lost or open deal shows how its amount is
    credited as pipeline (`basis`).
    """

    opportunity_id: int
    name: str
    account_id: int | None
    account_name: str | None
    amount: Decimal
    stage: str
    outcome: Literal["won", "lost", "open"]
    basis: Basis
    created_at: datetime
    closed_at: datetime | None
    mql_at: datetime | None
    window_start: datetime
    window_end: datetime
    contacts: ContactScope
    config_version: str
    models: list[ModelInfo]
    events: list[RetroEvent]
    totals: dict[str, Decimal]
    unattributed: bool
    touches_by_team: dict[str, int]
