"""Health for every account at one moment, part by part, on Polars. Pure.

Inputs are frames, not the store, so the service, the backtest and the bench run the same code:

* `usage`: one row per account and period start (`account_id`, `day`) with one float column
  per usage metric (null where the metric was not reported that period);
* `limits`: the entitlements (`account_id`, `metric`, `unit`, `allowance`, `plan`, `renewal_on`,
  `valid_from`, `valid_to`);
* `accounts`: `account_id`, `segment` and, when known, `engagement` (activities of the account's
  contacts in the recent window).

A mean over a window is the sum over the number of periods of that metric reported by anyone
in the window: an account that stopped reporting counts as zero, not as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from tandem.usage.health_model import Component, HealthModel

ACTIVE = "active_users"
#: Means are rounded to this many decimals, so the order a sum was added in (threads, another
#: engine) cannot move a value across a threshold.
ROUND = 9


@dataclass(frozen=True)
class Health:
    """Scores (`account_id`, `scorecard`, `score`, `band`) and their parts (`account_id`,
    `component`, `kind`, `value`, `weight`, `points`); points of an account sum to its score."""

    scores: pl.DataFrame
    parts: pl.DataFrame
    values: pl.DataFrame  # the wide per-account inputs signals read


def current_limits(limits: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The entitlements in force on `as_of`, the latest per account and metric."""
    if limits.is_empty():
        return limits
    return (
        limits.filter(
            (pl.col("valid_from") <= as_of)
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") > as_of))
        )
        .sort("valid_from")
        .unique(["account_id", "metric"], keep="last")
    )


def _window(usage: pl.LazyFrame, metrics: list[str], start: date, end: date, tag: str):
    """Per account: `<tag>:<metric>` means over (start, end], and `<tag>_n:<metric>` periods."""
    part = usage.filter((pl.col("day") > start) & (pl.col("day") <= end))
    sums = part.group_by("account_id").agg(
        [pl.col(m).sum().alias(f"{tag}:{m}") for m in metrics]
        + [pl.col(m).count().alias(f"{tag}_rows:{m}") for m in metrics]
    )
    periods = part.select(
        [pl.col("day").filter(pl.col(m).is_not_null()).n_unique().alias(m) for m in metrics]
    )
    return sums, periods


def inputs(
    *,
    usage: pl.LazyFrame | pl.DataFrame,
    limits: pl.DataFrame,
    accounts: pl.DataFrame,
    model: HealthModel,
    as_of: date,
    limit_days: int | None = None,
) -> pl.DataFrame:
    """One row per account with what the components and the signal rules read."""
    lazy = usage.lazy()
    present = lazy.collect_schema().names()
    metrics = sorted((model.usage_metrics() | {ACTIVE}) & set(present))
    recent_start = as_of - timedelta(days=model.recent_days)
    earlier_start = as_of - timedelta(days=model.trend_days)
    last_days = limit_days or (31 if model.period == "month" else 7)
    recent, recent_n = _window(lazy, metrics, recent_start, as_of, "recent")
    earlier, earlier_n = _window(lazy, metrics, earlier_start, recent_start, "earlier")
    last = (
        lazy.filter((pl.col("day") > as_of - timedelta(days=last_days)) & (pl.col("day") <= as_of))
        .group_by("account_id")
        .agg([pl.col(m).max().alias(f"last:{m}") for m in metrics])
    )
    recent_df, rn, earlier_df, en, last_df = pl.collect_all(
        [recent, recent_n, earlier, earlier_n, last]
    )
    rn_row, en_row = rn.row(0, named=True), en.row(0, named=True)
    frame = (
        accounts.select(
            "account_id", "segment", *(["engagement"] if "engagement" in accounts.columns else [])
        )
        .join(recent_df, on="account_id", how="left")
        .join(earlier_df, on="account_id", how="left")
        .join(last_df, on="account_id", how="left")
    )
    means = []
    for m in metrics:
        means.append(
            (pl.col(f"recent:{m}").fill_null(0) / rn_row[m]).round(ROUND).alias(f"mean:{m}")
            if rn_row[m]
            else pl.lit(None, pl.Float64).alias(f"mean:{m}")
        )
        means.append(
            (pl.col(f"earlier:{m}").fill_null(0) / en_row[m]).round(ROUND).alias(f"before:{m}")
            if en_row[m]
            else pl.lit(None, pl.Float64).alias(f"before:{m}")
        )
    frame = frame.with_columns(means)
    now = current_limits(limits, as_of)
    seats = now.filter(pl.col("metric") == ACTIVE).select("account_id", seats="allowance")
    renewal = (
        now.filter(pl.col("renewal_on").is_not_null() & (pl.col("renewal_on") >= as_of))
        .group_by("account_id")
        .agg(pl.col("renewal_on").min())
    )
    plans = now.sort("valid_from").group_by("account_id").agg(pl.col("plan").last())
    frame = (
        frame.join(seats, on="account_id", how="left")
        .join(renewal, on="account_id", how="left")
        .join(plans, on="account_id", how="left")
        .with_columns(
            renewal_days=(pl.col("renewal_on") - pl.lit(as_of)).dt.total_days().cast(pl.Float64)
        )
    )
    return frame.with_columns(
        *(
            pl.lit(None, pl.Float64).alias(f"{p}:{m}")
            for m in sorted(model.usage_metrics() - set(metrics))
            for p in ("mean", "before", "last", "recent_rows")
        )
    )


def value_expr(component: Component) -> pl.Expr:
    """The component's value for each account row of `inputs` (null: the data cannot say)."""
    m = component.source
    if component.kind == "adoption":
        return pl.when(pl.col("seats") > 0).then(pl.col(f"mean:{m}") / pl.col("seats"))
    if component.kind == "breadth":
        used = [(pl.col(f"mean:{f}").fill_null(0) > 0).cast(pl.Float64) for f in component.features]
        return pl.sum_horizontal(used) / len(used)
    if component.kind == "trend":
        return pl.when(pl.col(f"before:{m}") > 0).then(
            pl.col(f"mean:{m}").fill_null(0) / pl.col(f"before:{m}") - 1
        )
    if component.kind == "engagement":
        return pl.col("engagement").cast(pl.Float64)
    if component.kind == "renewal":
        return pl.col("renewal_days")
    # support, sentiment: only where the account reported the metric
    return pl.when(pl.col(f"recent_rows:{m}").fill_null(0) > 0).then(pl.col(f"mean:{m}"))


def share_expr(component: Component, value: pl.Expr) -> pl.Expr:
    """The share of the weight each value earns (first threshold met; `missing` for null)."""
    expr = pl.when(value.is_null()).then(pl.lit(component.missing))
    for t in component.thresholds:
        met = value >= t.min if t.min is not None else value <= t.max
        expr = expr.when(met).then(pl.lit(t.points))
    return expr.otherwise(pl.lit(0.0))


def score(
    *,
    usage: pl.LazyFrame | pl.DataFrame,
    limits: pl.DataFrame,
    accounts: pl.DataFrame,
    model: HealthModel,
    as_of: date,
) -> Health:
    """Every account's health on `as_of` (accounts with no usage and no entitlement included:
    pass only customers)."""
    values = inputs(usage=usage, limits=limits, accounts=accounts, model=model, as_of=as_of)
    if "engagement" not in values.columns:
        values = values.with_columns(engagement=pl.lit(None, pl.Float64))
    card_of = {seg: name for name, card in model.scorecards.items() for seg in card.segments}
    fallback = model.scorecard_for(None)
    values = values.with_columns(
        scorecard=pl.col("segment")
        .cast(pl.String)
        .replace_strict(card_of, default=fallback, return_dtype=pl.String)
    )
    parts = []
    for name, card in model.scorecards.items():
        rows = values.filter(pl.col("scorecard") == name)
        if rows.is_empty():
            continue
        for c in card.components:
            v = value_expr(c)
            parts.append(
                rows.select(
                    "account_id",
                    component=pl.lit(c.name),
                    kind=pl.lit(c.kind),
                    value=v.cast(pl.Float64),
                    weight=pl.lit(float(c.weight)),
                    # Rounded once here: the score is the sum of these, so parts add up exactly.
                    points=(share_expr(c, v) * c.weight).round(2),
                )
            )
    if parts:
        long = pl.concat(parts)
    else:
        long = pl.DataFrame(
            schema={"account_id": pl.Int64, "component": pl.String, "kind": pl.String,
                    "value": pl.Float64, "weight": pl.Float64, "points": pl.Float64}
        )  # fmt: skip
    totals = long.group_by("account_id").agg(score=pl.col("points").sum().round(2))
    bands = model.bands
    scores = (
        values.select("account_id", "segment", "scorecard")
        .join(totals, on="account_id", how="inner")
        .with_columns(
            band=pl.when(pl.col("score") >= bands.healthy)
            .then(pl.lit("healthy"))
            .when(pl.col("score") < bands.at_risk)
            .then(pl.lit("at_risk"))
            .otherwise(pl.lit("neutral"))
        )
        .sort("account_id")
    )
    return Health(scores=scores, parts=long.sort("account_id", "component"), values=values)
