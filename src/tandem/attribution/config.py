"""Attribution configuration: every weight explicit, versioned, loaded from YAML.

The YAML file is the single source of the numbers (`default.yaml` ships with Tandem); the
pydantic models only describe and validate it. Bad input raises `AttributionConfigError`
listing every issue as ``file:line: field: message``.
"""

import math
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from tandem.attribution.touchpoints import MILESTONES
from tandem.attribution.yaml_lines import ConfigIssue, compose_with_lines, issue_for

#: Anchors a position model may weight: positions, milestones, and "rest" (touches no other
#: anchor took). ``position:N`` is the N-th touch from 0; negative counts from the end.
NAMED_ANCHORS: tuple[str, ...] = ("first", "last", *MILESTONES, "rest")
_POSITION = re.compile(r"^position:(-?\d+)$")
#: Names a custom model may not take: the built-in models and the columns of a credit table.
RESERVED_NAMES = frozenset(
    {
        "first_touch",
        "last_touch",
        "linear",
        "u_shaped",
        "w_shaped",
        "full_path",
        "time_decay",
        "markov",
        "shapley",
        "opportunity_id",
        "activity_id",
        "touch_index",
        "channel",
        "campaign_id",
        "asset_id",
        "team",
        "source",
    }
)


def _check_weights(weights: dict[str, float]) -> dict[str, float]:
    """Anchors must be known, weights non-negative percentages summing to 100."""
    for anchor, weight in weights.items():
        if anchor not in NAMED_ANCHORS and not _POSITION.match(anchor):
            raise ValueError(f"unknown anchor {anchor!r}; use {NAMED_ANCHORS} or 'position:N'")
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"weight of {anchor!r} must be a non-negative number, got {weight}")
    total = sum(weights.values())
    if not math.isclose(total, 100.0, abs_tol=1e-9):
        raise ValueError(f"weights must sum to 100, got {total:g}")
    return weights


#: Percent per anchor, e.g. ``{first: 40, rest: 20, last: 40}``.
PositionWeights = Annotated[dict[str, float], AfterValidator(_check_weights)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WindowConfig(_Frozen):
    """Which activities count as touchpoints of an opportunity."""

    lookback_days: int = Field(gt=0, le=3660)  # ten years: a window is dates, not work
    until_close: bool
    # Whose activities count: the deal's contact roles (and primary contact), or also every
    # contact at the deal's account. Read by the DB layer; the pure core gets touches as given.
    contacts: Literal["contact_roles", "account"]


class TimeDecayConfig(_Frozen):
    """Time decay: a touch `half_life_days` older than another gets half its weight."""

    half_life_days: float = Field(gt=0, le=3660, allow_inf_nan=False)


class MarkovConfig(_Frozen):
    """Markov chain attribution (removal effect, solved exactly)."""

    order: int = Field(ge=1, le=4)


class ShapleyConfig(_Frozen):
    """Shapley attribution over channel coalitions."""

    characteristic: Literal["conversions", "value", "conversion_rate"]
    exact_max_channels: int = Field(ge=1, le=20)
    samples: int = Field(ge=100, le=1_000_000)  # the work grows with the samples
    seed: int = Field(ge=0, le=2**32 - 1)


class AttributionConfig(_Frozen):
    """All attribution settings; see `default.yaml` for the shipped values."""

    version: str = Field(min_length=1)
    window: WindowConfig
    u_shaped: PositionWeights
    w_shaped: PositionWeights
    full_path: PositionWeights
    time_decay: TimeDecayConfig
    markov: MarkovConfig
    shapley: ShapleyConfig
    custom_models: dict[str, PositionWeights]

    @field_validator("custom_models")
    @classmethod
    def _custom_names(cls, models: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name in models:
            if name in RESERVED_NAMES or not re.match(r"^[a-z][a-z0-9_]*$", name):
                raise ValueError(
                    f"custom model name {name!r} must be snake_case and not a built-in "
                    "model or column"
                )
        return models


class AttributionConfigError(ValueError):
    """Invalid attribution configuration; `issues` says where and why."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in issues))


def parse_config(text: str, *, source: str = "<string>") -> AttributionConfig:
    """Validate YAML `text` into an AttributionConfig; errors name `source`, line and field."""
    doc, issues = compose_with_lines(text, source)
    if doc is None or issues:
        raise AttributionConfigError(issues)
    try:
        return AttributionConfig.model_validate(doc.data)
    except ValidationError as error:
        raise AttributionConfigError(
            [issue_for(doc, err["loc"], err["msg"]) for err in error.errors()]
        ) from None


def load_config(path: str | Path) -> AttributionConfig:
    """Read and validate an attribution YAML file."""
    return parse_config(Path(path).read_text(encoding="utf-8"), source=str(path))


def default_config() -> AttributionConfig:
    """The configuration shipped in `tandem/attribution/default.yaml`."""
    text = resources.files("tandem.attribution").joinpath("default.yaml").read_text("utf-8")
    return parse_config(text, source="tandem/attribution/default.yaml")
