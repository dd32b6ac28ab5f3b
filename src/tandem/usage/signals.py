"""Usage signals: under-use raises a churn risk, over-use an expansion signal, a free or trial
account using the product like a customer a PQL. Pure (Polars).

Each signal is raised once per account, kind, rule and ISO week (`period`): computing again in
the same week finds the same signals, and the store keeps the first.

Rules (thresholds from the health model's `signals`):

| kind | rule | when |
| --- | --- | --- |
| churn_risk | `adoption_low` | mean active users over seats below `adoption_below` |
| churn_risk | `trend_falling` | active users' trend below `trend_below` |
| churn_risk | `key_feature_unused:<metric>` | a key feature not used in the recent window |
| expansion | `limit_<80/95/100>:<metric>` | last period's usage at that share of a limit |
| expansion | `seats_full` | active users at or above the seats bought |
| expansion | `growth_above_plan` | active users' trend above `growth_above` |
| pql | `pql` | plan in `plans`, active users and key features used at least the bars |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from tandem.usage.compute import ACTIVE, current_limits
from tandem.usage.health_model import HealthModel


@dataclass(frozen=True)
class Signal:
    """One raised signal with the usage behind it."""

    account_id: int
    kind: str  # churn_risk | expansion | pql
    rule: str
    period: str
    evidence: dict[str, Any] = field(default_factory=dict)


def week_of(day: date) -> str:
    """The ISO week a day falls in, `2026-W49`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def detect(
    *, values: pl.DataFrame, limits: pl.DataFrame, model: HealthModel, as_of: date
) -> list[Signal]:
    """Every signal the rules raise on `values` (the per-account inputs of `compute.score`)."""
    rules = model.signals
    period = week_of(as_of)
    out: list[Signal] = []
    adoption = pl.when(pl.col("seats") > 0).then(pl.col(f"mean:{ACTIVE}") / pl.col("seats"))
    trend = pl.when(pl.col(f"before:{ACTIVE}") > 0).then(
        pl.col(f"mean:{ACTIVE}").fill_null(0) / pl.col(f"before:{ACTIVE}") - 1
    )
    base = values.select(
        "account_id",
        "seats",
        "plan",
        adoption=adoption,
        trend=trend,
        active=pl.col(f"mean:{ACTIVE}"),
        before=pl.col(f"before:{ACTIVE}"),
    )
    churn = rules.churn_risk
    if churn.adoption_below is not None:
        for row in base.filter(pl.col("adoption") < churn.adoption_below).iter_rows(named=True):
            out.append(
                Signal(
                    row["account_id"],
                    "churn_risk",
                    "adoption_low",
                    period,
                    {
                        "adoption": _round(row["adoption"]),
                        "active_users": _round(row["active"]),
                        "seats": row["seats"],
                        "threshold": churn.adoption_below,
                    },
                )  # fmt: skip
            )
    if churn.trend_below is not None:
        for row in base.filter(pl.col("trend") < churn.trend_below).iter_rows(named=True):
            out.append(
                Signal(
                    row["account_id"],
                    "churn_risk",
                    "trend_falling",
                    period,
                    {
                        "trend": _round(row["trend"]),
                        "active_users": _round(row["active"]),
                        "active_users_before": _round(row["before"]),
                        "threshold": churn.trend_below,
                    },
                )  # fmt: skip
            )
    for feature in churn.key_features:
        column = f"mean:{feature}"
        unused = values.filter(pl.col(column).fill_null(0) <= 0).select("account_id")
        for (account_id,) in unused.iter_rows():
            out.append(
                Signal(
                    account_id,
                    "churn_risk",
                    f"key_feature_unused:{feature}",
                    period,
                    {
                        "feature": feature,
                        "days": model.recent_days,
                    },
                )  # fmt: skip
            )
    out += _limits(values, limits, model, as_of, period)
    growth = rules.expansion.growth_above
    if growth is not None:
        for row in base.filter(pl.col("trend") > growth).iter_rows(named=True):
            out.append(
                Signal(
                    row["account_id"],
                    "expansion",
                    "growth_above_plan",
                    period,
                    {
                        "trend": _round(row["trend"]),
                        "active_users": _round(row["active"]),
                        "seats": row["seats"],
                        "threshold": growth,
                    },
                )  # fmt: skip
            )
    out += _pqls(values, model, period)
    return sorted(out, key=lambda s: (s.account_id, s.kind, s.rule))


def _limits(
    values: pl.DataFrame, limits: pl.DataFrame, model: HealthModel, as_of: date, period: str
) -> list[Signal]:
    now = current_limits(limits, as_of)
    if now.is_empty():
        return []
    levels = model.signals.expansion.limit_levels
    found = []
    for metric in now["metric"].unique().to_list():
        column = f"last:{metric}"
        if column not in values.columns:
            continue
        rows = (
            now.filter((pl.col("metric") == metric) & (pl.col("allowance") > 0))
            .join(values.select("account_id", used=pl.col(column)), on="account_id")
            .with_columns(share=pl.col("used") / pl.col("allowance"))
            .filter(pl.col("share") >= levels[0])
        )
        for row in rows.iter_rows(named=True):
            level = max(v for v in levels if row["share"] >= v)
            evidence = {
                "metric": metric, "unit": row["unit"], "limit": row["allowance"],
                "used": _round(row["used"]), "share": _round(row["share"]), "level": level,
                "over_limit": row["share"] > 1,
            }  # fmt: skip
            rule = f"limit_{round(level * 100)}:{metric}"
            found.append(Signal(row["account_id"], "expansion", rule, period, evidence))
            if metric == ACTIVE and row["share"] >= 1:
                found.append(Signal(row["account_id"], "expansion", "seats_full", period, evidence))
    return found


def _pqls(values: pl.DataFrame, model: HealthModel, period: str) -> list[Signal]:
    rules = model.signals.pql
    if not rules.plans or "plan" not in values.columns:
        return []
    features = sorted(model.usage_metrics() - {ACTIVE})
    used = pl.sum_horizontal(
        [(pl.col(f"mean:{f}").fill_null(0) > 0).cast(pl.Int32) for f in features] or [pl.lit(0)]
    )
    rows = values.filter(
        pl.col("plan").is_in(list(rules.plans))
        & (pl.col(f"mean:{ACTIVE}").fill_null(0) >= rules.active_users_at_least)
        & (used >= rules.features_at_least)
    ).with_columns(used=used)
    return [
        Signal(
            row["account_id"],
            "pql",
            "pql",
            period,
            {
                "plan": row["plan"],
                "active_users": _round(row[f"mean:{ACTIVE}"]),
                "features_used": row["used"],
            },
        )  # fmt: skip
        for row in rows.iter_rows(named=True)
    ]
