"""The health model as code: scorecards of weighted components with thresholds. Pure.

A health model is YAML (a `health_model` definition, versioned and approved by both teams):

    period: week              # which usage facts it reads (day, week or month)
    recent_days: 28           # the window components look at, ending at the scoring day
    trend_days: 56            # the earlier window the trend compares it with
    bands: {healthy: 70, at_risk: 40}
    scorecards:
      default:                # "default" scores every account no other scorecard claims
        components:
          - {kind: adoption, weight: 30, thresholds: [{min: 0.7, points: 1}, ...]}
      enterprise:             # accounts whose segment is "enterprise"
        segments: [enterprise]
        components: [...]
    signals: {...}            # the under-use and over-use rules (`signals.py`)

A component's value falls on the first threshold it meets (`min`: value >= min, `max`: value
<= max) and gets that threshold's share of the component's weight; no threshold met is 0;
a value the data cannot give (no seats bought, no support data) gets `missing` (a share,
0.5 by default). Weights of a scorecard sum to 100, so the parts of a score sum to it exactly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from tandem.definitions.base import ConfigModel, Issue, Level, error
from tandem.handoff.source import parse_yaml, validation_issues

ComponentKind = Literal[
    "adoption", "breadth", "trend", "engagement", "support", "sentiment", "renewal"
]
#: What each kind measures, for explanations and docs.
MEANING: dict[str, str] = {
    "adoption": "mean active users over the seats bought",
    "breadth": "share of the key features used in the window",
    "trend": "change of the metric's mean against the earlier window",
    "engagement": "activities of the account's contacts in the window",
    "support": "mean of the support metric in the window",
    "sentiment": "mean of the sentiment metric in the window",
    "renewal": "days until the renewal date",
}
DEFAULT_METRIC = {
    "adoption": "active_users",
    "trend": "active_users",
    "support": "support_tickets",
    "sentiment": "nps",
}


class Threshold(ConfigModel):
    """`min`: the value is at least this; `max`: at most this. `points`: share of the weight."""

    min: float | None = None
    max: float | None = None
    points: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if (self.min is None) == (self.max is None):
            raise ValueError("a threshold has exactly one of min or max")
        return self

    def meets(self, value: float) -> bool:
        """True when `value` is on this threshold's side."""
        return value >= self.min if self.min is not None else value <= (self.max or 0.0)


class Component(ConfigModel):
    """One part of the health score."""

    kind: ComponentKind
    weight: float = Field(gt=0, le=100)
    metric: str | None = None  # adoption/trend/support/sentiment: which usage metric
    features: tuple[str, ...] = ()  # breadth: the key features (usage metrics)
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    missing: float = Field(0.5, ge=0, le=1)

    @property
    def name(self) -> str:
        """The component's label in explanations (its kind, and metric when it has one)."""
        return (
            self.kind
            if self.kind in ("breadth", "engagement", "renewal")
            else (f"{self.kind}:{self.source}")
        )

    @property
    def source(self) -> str:
        """The usage metric read (breadth reads `features`; engagement and renewal none)."""
        return self.metric or DEFAULT_METRIC.get(self.kind, "")

    @model_validator(mode="after")
    def _breadth_features(self) -> Component:
        if self.kind == "breadth" and not self.features:
            raise ValueError("a breadth component lists its key features")
        return self

    def share(self, value: float | None) -> float:
        """The share of the weight `value` earns."""
        if value is None:
            return self.missing
        return next((t.points for t in self.thresholds if t.meets(value)), 0.0)


class Scorecard(ConfigModel):
    """Components for the accounts of some segments (none listed: the default)."""

    segments: tuple[str, ...] = ()
    components: tuple[Component, ...] = Field(min_length=1)


class Bands(ConfigModel):
    """Score at or above `healthy` is healthy; below `at_risk` at risk; neutral between."""

    healthy: float = Field(70, ge=0, le=100)
    at_risk: float = Field(40, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.at_risk > self.healthy:
            raise ValueError("at_risk is at most healthy")
        return self

    def of(self, score: float) -> str:
        """The band a score falls in."""
        return (
            "healthy"
            if score >= self.healthy
            else "at_risk"
            if score < self.at_risk
            else ("neutral")
        )


class ChurnRules(ConfigModel):
    """Under-use: raise a churn risk when any rule holds."""

    adoption_below: float | None = 0.3
    trend_below: float | None = -0.25
    key_features: tuple[str, ...] = ()  # a key feature unused in the window


class ExpansionRules(ConfigModel):
    """Over-use: usage at these shares of a limit, seats full, growth above plan."""

    limit_levels: tuple[float, ...] = (0.8, 0.95, 1.0)
    growth_above: float | None = 0.3

    @field_validator("limit_levels")
    @classmethod
    def _levels(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(v <= 0 for v in value):
            raise ValueError("limit levels are shares above 0 (0.8 is 80% of the limit)")
        return tuple(sorted(value))


class PqlRules(ConfigModel):
    """Product-qualified leads: accounts on these plans whose usage passes both bars."""

    plans: tuple[str, ...] = ("free", "trial")
    active_users_at_least: float = 3
    features_at_least: int = 2


class Signals(ConfigModel):
    """The signal rules (`signals.py`)."""

    churn_risk: ChurnRules = ChurnRules()
    expansion: ExpansionRules = ExpansionRules()
    pql: PqlRules = PqlRules()


class HealthModel(ConfigModel):
    """A whole health model (one definition version)."""

    period: Literal["day", "week", "month"] = "week"
    recent_days: int = Field(28, ge=1, le=366)
    trend_days: int = Field(56, ge=1, le=731)
    bands: Bands = Bands()
    scorecards: dict[str, Scorecard] = Field(min_length=1)
    signals: Signals = Signals()

    def scorecard_for(self, segment: str | None) -> str:
        """The scorecard scoring an account of `segment`."""
        for name, card in self.scorecards.items():
            if segment is not None and segment in card.segments:
                return name
        return "default" if "default" in self.scorecards else next(iter(self.scorecards))

    def usage_metrics(self) -> set[str]:
        """Every usage metric the model reads."""
        found = {m for c in self.components() for m in (c.source, *c.features) if m}
        return found | set(self.signals.churn_risk.key_features)

    def components(self) -> list[Component]:
        """Every component of every scorecard."""
        return [c for card in self.scorecards.values() for c in card.components]


def check_model(model: HealthModel) -> list[Issue]:
    """Rules beyond the fields: weights sum to 100, one scorecard per segment."""
    issues = []
    claimed: dict[str, str] = {}
    for name, card in model.scorecards.items():
        total = sum(c.weight for c in card.components)
        if abs(total - 100) > 1e-9:
            shown = ", ".join(f"{c.name} {c.weight:g}" for c in card.components)
            issues.append(
                error(
                    ("scorecards", name, "components"),
                    f"weights sum to {total:g}, not 100 ({shown})",
                )
            )
        for segment in card.segments:
            if segment in claimed:
                issues.append(
                    error(
                        ("scorecards", name, "segments"),
                        f"segment {segment!r} is scored by scorecard {claimed[segment]!r} too",
                    )
                )
            claimed[segment] = name
    if model.trend_days < model.recent_days:
        issues.append(error(("trend_days",), "trend_days is at least recent_days"))
    return issues


def parse_model(text: str, file: str = "<health_model>") -> tuple[HealthModel | None, list[Issue]]:
    """Parse and check a health model; None when it has errors. Issues name file:line."""
    from pydantic import ValidationError

    source, issues = parse_yaml(text, file)
    if source is None:
        return None, issues
    try:
        model = HealthModel.model_validate(source.data)
    except ValidationError as exc:
        return None, issues + source.locate(validation_issues(exc))
    issues += source.locate(check_model(model))
    if any(i.level is Level.ERROR for i in issues):
        return None, issues
    return model, issues
