"""The product-qualified-lead rule as code, and which users it matches. Pure (Polars).

A PQL rule is YAML (a `pql_rule` definition, versioned, proposed by one team and approved by
the other):

    plans: [free, trial]      # the account's plan in force (entitlements, else subscriptions)
    window_days: 14           # the days looked at, ending on the evaluation day
    conditions:               # every one must hold: a metric's total over the window
      - {metric: logins, at_least: 5}
      - {metric: reports_run, at_least: 1}   # the key feature used

A user (a contact) matches when their account's plan is one of `plans` and their own usage
(`user_usage_facts`) meets every condition; the totals are the evidence the packet shows.
An account whose plan is unknown matches nothing: an unknown plan is never taken for free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
from pydantic import Field, ValidationError, field_validator

from tandem.definitions.base import ConfigModel, Issue, Level, error
from tandem.handoff.source import parse_yaml, validation_issues


@dataclass(frozen=True)
class Match:
    """A user the rule matches, with the totals behind it ({metric: total over the window})."""

    contact_id: int
    account_id: int
    plan: str
    evidence: dict[str, float]


class Condition(ConfigModel):
    """A metric's total over the window is at least `at_least`."""

    metric: str = Field(min_length=1, max_length=100)
    at_least: float = Field(gt=0)


class PqlRule(ConfigModel):
    """One PQL rule version."""

    plans: tuple[str, ...] = Field(min_length=1)
    window_days: int = Field(14, ge=1, le=366)
    conditions: tuple[Condition, ...] = Field(min_length=1)

    @field_validator("plans")
    @classmethod
    def _plans(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p.strip().lower() for p in value)

    def describe(self) -> str:
        """`plan free or trial; logins >= 5, reports_run >= 1 in 14 days`."""
        bars = ", ".join(f"{c.metric} >= {c.at_least:g}" for c in self.conditions)
        return f"plan {' or '.join(self.plans)}; {bars} in {self.window_days} days"


def check_rule(rule: PqlRule) -> list[Issue]:
    """Rules beyond the fields: one condition per metric."""
    seen: set[str] = set()
    issues = []
    for n, condition in enumerate(rule.conditions):
        if condition.metric in seen:
            message = f"metric {condition.metric!r} has a condition already (one per metric)"
            issues.append(error(("conditions", n, "metric"), message))
        seen.add(condition.metric)
    return issues


def parse_rule(text: str, file: str = "<pql_rule>") -> tuple[PqlRule | None, list[Issue]]:
    """Parse and check a PQL rule; None when it has errors. Issues name file:line."""
    source, issues = parse_yaml(text, file)
    if source is None:
        return None, issues
    try:
        rule = PqlRule.model_validate(source.data)
    except ValidationError as exc:
        return None, issues + source.locate(validation_issues(exc))
    issues += source.locate(check_rule(rule))
    if any(i.level is Level.ERROR for i in issues):
        return None, issues
    return rule, issues


def window(rule: PqlRule, as_of: date) -> tuple[date, date]:
    """The days looked at: (first excluded, last included]."""
    return as_of - timedelta(days=rule.window_days), as_of


def matches(*, usage: pl.DataFrame, plans: pl.DataFrame, rule: PqlRule, as_of: date) -> list[Match]:
    """Every user the rule matches on `as_of`, by contact id. `usage`: `contact_id`,
    `account_id`, `metric`, `value`, `day` (per-user facts); `plans`: `account_id`, `plan` in
    force on `as_of`."""
    after, until = window(rule, as_of)
    metrics = [c.metric for c in rule.conditions]
    eligible = plans.filter(pl.col("plan").str.to_lowercase().is_in(list(rule.plans)))
    totals = (
        usage.filter(pl.col("day") > after, pl.col("day") <= until, pl.col("metric").is_in(metrics))
        .join(eligible.select("account_id", "plan"), on="account_id", how="inner")
        .group_by("contact_id", "account_id", "plan", "metric")
        .agg(pl.col("value").sum())
    )
    if totals.is_empty():
        return []
    wide = totals.pivot(on="metric", index=["contact_id", "account_id", "plan"], values="value")
    missing = [pl.lit(0.0).alias(m) for m in metrics if m not in wide.columns]
    passed = (
        wide.with_columns(*missing)
        .with_columns(pl.col(m).fill_null(0.0) for m in metrics)
        .filter(pl.all_horizontal(pl.col(c.metric) >= c.at_least for c in rule.conditions))
        .sort("contact_id")
    )
    return [
        Match(r["contact_id"], r["account_id"], r["plan"], {m: float(r[m]) for m in metrics})
        for r in passed.iter_rows(named=True)
    ]


#: The columnar copy's PQL rows (`tandem.usage.facts.pql_frame`): one per user a rule version
#: made an MQL, dated by the match (epoch seconds, as every relation's moments).
RELATION_SCHEMA = {
    "contact_id": pl.Int64, "account_id": pl.Int64, "rule_version": pl.Int64,
    "plan": pl.String, "at_s": pl.Float64,
}  # fmt: skip


def empty_relation() -> pl.DataFrame:
    """No PQLs (a copy built without the usage capability's rows)."""
    return pl.DataFrame(schema=RELATION_SCHEMA)
