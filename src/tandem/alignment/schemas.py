"""The alignment report's view-model: one data path for the page, the JSON, the PDF and the CLI."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class Suppressed(BaseModel):
    """A group left out because it has fewer respondents than the minimum (no count given)."""

    audience: str
    statement: str | None = None  # None: the whole audience
    account: str | None = None
    reason: str


class AccountScore(BaseModel):
    """A customer account with enough respondents: how aligned the two teams look from there."""

    account: str
    n: int
    score: float  # 0-100, every scored answer in the aligned direction


class Group(BaseModel):
    """One audience's answers to one statement."""

    n: int
    mean: float
    median: float
    distribution: list[int]  # answers per scale point, lowest first
    agree_share: float  # answered at the top two points (after reversal)
    agreement: float | None  # r_wg
    agrees: bool


class StatementResult(BaseModel):
    id: str
    dimension: str
    text: str
    type: str
    reverse: bool
    metric: str | None
    groups: dict[str, Group]
    comments: list[str] = []  # free text, sorted, never with its author


class Gap(BaseModel):
    """Two audiences compared on one statement (or one dimension)."""

    statement: str | None = None
    dimension: str
    audiences: list[str]
    means: list[float]
    n: list[int]
    difference: float  # mean of the first audience minus the second's
    ci: list[float]  # 95% (Welch)
    u: float
    p: float
    q: float  # Benjamini-Hochberg across the wave's statements
    effect: float  # rank-biserial
    significant: bool  # q below alpha
    split: list[str]  # audiences that disagree among themselves (r_wg below 0.7)
    finding: bool  # significant, and neither audience split
    certainty: float  # the distance of the interval from zero (0 when it spans zero)


class SayDo(BaseModel):
    """A statement tied to a metric: what the teams say beside what the data shows."""

    statement: str
    text: str
    metric: str
    label: str
    unit: str
    value: float | None
    shown: str
    rows: int
    answers: dict[str, float]  # audience -> mean answer (suppressed groups left out)
    agree_share: dict[str, float]


class Component(BaseModel):
    key: str  # survey:<dimension> or data:<metric>
    label: str
    weight: float
    value: float | None = None  # a data component's measured figure
    shown: str = ""
    score: float | None  # 0-100
    contribution: float | None  # points of the alignment index


class Index(BaseModel):
    score: float | None
    band: str | None
    components: list[Component]
    notes: list[str] = []


class Rate(BaseModel):
    audience: str
    invited: int
    responded: int
    rate: float | None


class Change(BaseModel):
    key: str
    label: str
    before: float | None
    after: float | None
    delta: float


class Trend(BaseModel):
    wave: str
    closed_at: dt.datetime | None
    survey: float | None
    data: float | None
    alignment: float | None
    band: str | None


class Report(BaseModel):
    wave: str
    wave_id: int
    instrument: str
    version: int
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    period_start: dt.date
    period_end: dt.date
    min_group: int
    alpha: float
    respondents: dict[str, int]  # audiences at or above the minimum only
    accounts: list[AccountScore] = []  # customer accounts at or above the minimum, lowest first
    rates: list[Rate]
    suppressed: list[Suppressed]
    statements: list[StatementResult]
    gaps: list[Gap]
    dimension_gaps: list[Gap]
    say_vs_do: list[SayDo]
    survey_index: Index
    data_index: Index
    alignment_index: Index
    trend: list[Trend] = []
    changes: list[Change] = []  # this wave against the previous one, by component
