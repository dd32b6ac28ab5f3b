"""The scoring model as data: frozen pydantic objects parsed from a YAML file.

Only structure lives here (types, required keys, unknown keys refused). Cross-field concerns such
as unknown activity types, bad regexes or an unreachable MQL threshold are checked one rule per
concern in `validate.py`, so every issue can be reported with its file and line.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from tandem.activities.channels import Channel

#: Points are kept to hundredths so every part of an explanation is an exact decimal.
POINT_DECIMALS = 2


def _hundredths(value: float) -> float:
    if not math.isfinite(value) or round(value, POINT_DECIMALS) != value:
        raise ValueError("points must be a finite number with at most 2 decimals")
    return value


#: Longest decay half-life or window a rule may name (ten years).
MAX_DAYS = 3660
Points = Annotated[float, Field(ge=-1e6, le=1e6), AfterValidator(_hundredths)]
PositivePoints = Annotated[float, Field(gt=0, le=1e6), AfterValidator(_hundredths)]
RuleId = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80, description="Stable rule key."),
]
FieldPath = Annotated[
    str,
    Field(
        pattern=r"^(contact|account)\.[a-z][a-z0-9_]*$",
        description="A contact.* or account.* field, e.g. contact.job_level.",
    ),
]
Scalar = str | int | float | bool
PropertyKey = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
AssetStage = Literal["awareness", "consideration", "decision"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _FitRuleBase(_Frozen):
    id: RuleId
    description: str = ""
    field: FieldPath
    points: Points = Field(description="Points when the rule matches; may be negative.")


class EqualsRule(_FitRuleBase):
    """Matches when the field equals `value` (text compared case-insensitively)."""

    op: Literal["equals"]
    value: Scalar


class InRule(_FitRuleBase):
    """Matches when the field equals any of `values`."""

    op: Literal["in"]
    values: tuple[Scalar, ...] = Field(min_length=1)


class RangeRule(_FitRuleBase):
    """Matches a number with `min <= x < max` (half-open so adjacent bands never overlap)."""

    op: Literal["range"]
    min: float | None = Field(None, allow_inf_nan=False)
    max: float | None = Field(None, allow_inf_nan=False)


class RegexRule(_FitRuleBase):
    """Matches text where `pattern` is found anywhere (case-insensitive; anchor with ^ $)."""

    op: Literal["regex"]
    pattern: str


class ExistsRule(_FitRuleBase):
    """Matches when the field is filled in (`present: true`) or empty (`present: false`)."""

    op: Literal["exists"]
    present: bool = True


FitRule = Annotated[
    EqualsRule | InRule | RangeRule | RegexRule | ExistsRule, Field(discriminator="op")
]


class Filters(_Frozen):
    """Extra conditions an activity must meet; every given filter must hold."""

    asset_stage: tuple[AssetStage, ...] | None = Field(None, min_length=1)
    campaign: tuple[str, ...] | None = Field(None, min_length=1)
    channel: tuple[Channel, ...] | None = Field(None, min_length=1)
    url_pattern: str | None = Field(None, description="Regex searched in the URL, any case.")
    properties: dict[PropertyKey, Scalar] | None = Field(
        None, description="Activity properties that must equal these values (compared as text)."
    )


class Decay(_Frozen):
    """How an occurrence loses value with age; both may be given (half-life inside a window)."""

    half_life_days: float | None = Field(None, gt=0, le=MAX_DAYS)
    window_days: int | None = Field(None, gt=0, le=MAX_DAYS)

    @model_validator(mode="after")
    def _one_needed(self) -> Decay:
        if self.half_life_days is None and self.window_days is None:
            raise ValueError("decay needs half_life_days or window_days")
        return self


class BehaviourRule(_Frozen):
    """Points for each matching activity, decayed by age and capped."""

    id: RuleId
    description: str = ""
    activity_type: str = Field(description="A registered activity type, e.g. page_view.")
    filters: Filters = Filters()
    points: Points = Field(description="Points per occurrence; negative for negative signals.")
    decay: Decay | None = None
    cap: PositivePoints | None = Field(None, description="Most points (in size) the rule gives.")
    daily_cap: PositivePoints | None = Field(None, description="Most points per UTC day.")


class MqlRule(_Frozen):
    """The MQL rule: every threshold given must be met (score >= threshold)."""

    total: Points | None = None
    fit: Points | None = None
    engagement: Points | None = None

    @model_validator(mode="after")
    def _one_needed(self) -> MqlRule:
        if self.total is None and self.fit is None and self.engagement is None:
            raise ValueError("mql needs a total threshold, or fit and/or engagement thresholds")
        return self


class Grades(_Frozen):
    """Lowest fit score for grades A, B and C; anything below C is grade D."""

    A: Points
    B: Points
    C: Points


class ScoringModel(_Frozen):
    """One version of a jointly agreed scoring model."""

    name: str = Field(min_length=1)
    version: int = Field(ge=1, le=1_000_000)
    description: str = ""
    fit_rules: tuple[FitRule, ...] = ()
    behaviour_rules: tuple[BehaviourRule, ...] = ()
    mql: MqlRule
    grades: Grades

    def rule_ids(self) -> list[str]:
        """Every rule id, fit rules first, in file order."""
        return [r.id for r in self.fit_rules] + [r.id for r in self.behaviour_rules]


SCHEMA_FILE = "scoring-model.schema.json"


def json_schema() -> dict[str, object]:
    """The JSON Schema of a scoring model file, generated from these classes."""
    schema = ScoringModel.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tandem scoring model",
        **{k: v for k, v in schema.items() if k != "title"},
    }
