"""The account score model as data (the `account_score` definition kind).

Four sections, each with the most it can give (`max`), and the sections' maxima sum to the
`scale` (100 by default): a reader sees at once how the score is weighted and can re-weight it.
* `fit`: the lead score's fit rules (`tandem.scoring.model.FitRule`) on `account.*` fields;
* `engagement`: activities of the account's contacts, weighted per type inside a window, and
  rolled up by explicit aggregations: `sum` (each person capped at `person_cap`), `max` (the
  most engaged person), `decayed_sum` (half-life), `distinct_people`, `distinct_roles`;
* `intent`: imported topic or page signals in a window, points per signal, capped;
* `coverage`: the share of the template's buying roles that are present and engaged.
The MQA rule: every threshold given must be met.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from tandem.definitions.base import ConfigModel
from tandem.scoring.model import MAX_DAYS, FitRule, PositivePoints, RuleId

Aggregation = Literal["sum", "max", "decayed_sum", "distinct_people", "distinct_roles"]
Role = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class FitSection(ConfigModel):
    max: PositivePoints
    rules: tuple[FitRule, ...] = ()


class EngagementPart(ConfigModel):
    """One roll-up of the account's activities: aggregate x `per` points, at most `cap`."""

    id: RuleId
    aggregation: Aggregation
    per: PositivePoints = Field(description="Points per unit of the aggregate (point or person).")
    cap: PositivePoints
    person_cap: PositivePoints | None = Field(None, description="sum: most a person adds.")
    half_life_days: float | None = Field(None, gt=0, le=MAX_DAYS)


class EngagementSection(ConfigModel):
    max: PositivePoints
    window_days: int = Field(90, gt=0, le=MAX_DAYS)
    weights: dict[str, PositivePoints] = Field(min_length=1)
    parts: tuple[EngagementPart, ...] = Field(min_length=1)


class IntentRule(ConfigModel):
    id: RuleId
    topics: tuple[str, ...] = Field(min_length=1)
    points: PositivePoints
    cap: PositivePoints
    min_strength: int = Field(0, ge=0, le=100)


class IntentSection(ConfigModel):
    max: PositivePoints
    window_days: int = Field(30, gt=0, le=MAX_DAYS)
    rules: tuple[IntentRule, ...] = ()


class CoverageSection(ConfigModel):
    max: PositivePoints
    roles: tuple[Role, ...] = Field(min_length=1)


class MqaRule(ConfigModel):
    total: PositivePoints | None = None
    fit: PositivePoints | None = None
    engagement: PositivePoints | None = None
    coverage: PositivePoints | None = None


class AccountScoreModel(ConfigModel):
    name: str = "default"
    version: int = Field(1, ge=1)
    description: str = ""
    scale: PositivePoints = 100
    fit: FitSection
    engagement: EngagementSection
    intent: IntentSection | None = None
    coverage: CoverageSection | None = None
    mqa: MqaRule

    def sections(self) -> list[tuple[str, float]]:
        """(section, max) of every section present."""
        found = [("fit", self.fit.max), ("engagement", self.engagement.max)]
        if self.intent is not None:
            found.append(("intent", self.intent.max))
        if self.coverage is not None:
            found.append(("coverage", self.coverage.max))
        return found
