"""View-models of the scoring pages and their JSON twins."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class IssueView(BaseModel):
    """One validation issue, located in the proposed YAML."""

    level: str
    line: int | None
    message: str
    text: str  # file:line: level: message


class VersionRow(BaseModel):
    """A model version in a list."""

    id: int
    label: str
    name: str
    version: int
    status: str
    proposed_team: str
    proposed_by: str | None
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    proposal_note: str | None


class ChangeView(BaseModel):
    """One rule or setting that differs from the version the proposal is compared with."""

    kind: str
    section: str
    key: str
    summary: str
    details: list[str]


class VersionDetail(BaseModel):
    """A version with its YAML, the diff against its base (or the active version) and whether
    the viewer may decide on it."""

    version: VersionRow
    yaml_text: str
    sha256: str
    compared_with: str | None
    changes: list[ChangeView]
    text_diff: list[str]
    issues: list[IssueView]
    can_decide: bool
    decide_hint: str
    stale: bool


class ScoringHome(BaseModel):
    """The scoring page: the active model, pending proposals and the history of versions."""

    active: VersionDetail | None
    pending: list[VersionRow]
    versions: list[VersionRow]
    can_propose: bool
    propose_hint: str
    scored_contacts: int
    mqls: int


class PartView(BaseModel):
    """What one rule gave a contact."""

    rule_id: str
    kind: str
    description: str
    points: Decimal
    occurrences: int
    capped: bool


class HistoryPoint(BaseModel):
    """A contact's score at one moment."""

    at: datetime
    total: Decimal
    fit: Decimal
    engagement: Decimal
    model_version_id: int


class FactorView(BaseModel):
    """One reason behind a predictive score: a feature value and its pull on the log-odds."""

    feature: str
    weight: float


class PredictionView(BaseModel):
    """The predictive score beside the rule score."""

    score: int
    probability: float
    outcome: str
    trained_at: datetime
    auc: float
    positive: list[FactorView]
    negative: list[FactorView]


class ScorePanel(BaseModel):
    """A contact's score as of now, its explanation, history and predictive score."""

    contact_id: int
    model: str | None
    as_of: datetime
    total: Decimal | None = None
    fit: Decimal | None = None
    engagement: Decimal | None = None
    grade: str | None = None
    is_mql: bool | None = None
    mql_rule: str = ""
    parts: list[PartView] = Field(default_factory=list)
    parts_sum: Decimal | None = None
    history: list[HistoryPoint] = Field(default_factory=list)
    sparkline: str = ""  # SVG polyline points of the total over time
    prediction: PredictionView | None = None
    note: str | None = None
