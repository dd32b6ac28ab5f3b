"""The backtest report: per month what a model would have produced and what became of it, the
threshold sweep, and the two recommended thresholds; one or two models side by side.

Pure (Polars over a `History`), so the CLI, the page and the JSON API share it. Each model's
history is replayed once (`replay`) and both the monthly backtest and the sweep read that grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from tandem.engines.backtest_sql import chosen_replay
from tandem.scoring.backtest import (
    Dimension,
    History,
    Outcome,
    backtest,
    sweep_floor,
    threshold_sweep,
    won_deals,
)
from tandem.scoring.model import ScoringModel


@dataclass(frozen=True, slots=True)
class MonthRow:
    """MQLs first produced in one month and what became of them."""

    month: str
    mqls: int
    sals: int
    sqls: int
    opportunities: int
    won: int
    revenue: float


@dataclass(frozen=True, slots=True)
class ModelReport:
    """One model's backtest: totals, months, sweep and recommendations."""

    label: str
    mql_rule: str
    mqls: int
    sals: int
    sqls: int
    opportunities: int
    won: int
    revenue: float
    conversion: float  # MQLs reaching the outcome / MQLs
    months: list[MonthRow]
    dimension: str
    sweep: list[dict[str, Any]]
    f1_threshold: float | None
    f1_criterion: str
    capacity_threshold: float | None
    capacity_criterion: str
    base_rate: float
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Capacity:
    """Sales capacity: MQLs one rep can work per week, times reps, over the period."""

    mqls_per_rep_week: float
    reps: int
    weeks: float

    @property
    def max_mqls(self) -> int:
        """MQLs sales can work in the whole period."""
        return int(self.mqls_per_rep_week * self.reps * self.weeks)


@dataclass(frozen=True, slots=True)
class BacktestReport:
    """The whole report: period, outcome, capacity and one section per model."""

    start: datetime
    end: datetime
    step_days: float
    outcome: str
    capacity: Capacity | None
    models: list[ModelReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        if self.capacity is not None:
            data["capacity"]["max_mqls"] = self.capacity.max_mqls
        return data


def default_dimension(model: ScoringModel) -> Dimension:
    """The threshold a sweep moves: total if the MQL rule has one, else engagement, else fit."""
    if model.mql.total is not None:
        return "total"
    return "engagement" if model.mql.engagement is not None else "fit"


def mql_rule_text(model: ScoringModel) -> str:
    """`fit >= 40, engagement >= 30`."""
    rule = model.mql
    named = (("total", rule.total), ("fit", rule.fit), ("engagement", rule.engagement))
    return ", ".join(f"{name} >= {value:g}" for name, value in named if value is not None)


def monthly(flags: pl.DataFrame, history: History) -> list[MonthRow]:
    """Group a backtest's MQL contacts by the month they crossed; revenue of their won deals."""
    if flags.height == 0:
        return []
    by_month = flags.with_columns(
        pl.from_epoch("mql_us", time_unit="us").dt.strftime("%Y-%m").alias("month")
    )
    counts = by_month.group_by("month").agg(
        pl.len().alias("mqls"),
        *(
            pl.col(c).sum().alias(n)
            for c, n in (
                ("reached_sal", "sals"),
                ("reached_sql", "sqls"),
                ("reached_opportunity", "opportunities"),
                ("won", "won"),
            )
        ),
    )
    # The deals `outcomes` counts as won (by when they were won), so a month's won deals and
    # its revenue agree; a deal shared by MQLs of several months counts in the first of them,
    # so the months add up to the total.
    revenue = (
        won_deals(by_month, history, by=["month"])
        .sort("month")
        .unique("opportunity_id", keep="first")
        .group_by("month")
        .agg(pl.col("amount").sum().alias("revenue"))
    )
    rows = counts.join(revenue, on="month", how="left").sort("month")
    return [
        MonthRow(
            month=r["month"],
            mqls=int(r["mqls"]),
            sals=int(r["sals"]),
            sqls=int(r["sqls"]),
            opportunities=int(r["opportunities"]),
            won=int(r["won"]),
            revenue=float(r["revenue"] or 0.0),
        )
        for r in rows.iter_rows(named=True)
    ]


def lift_warnings(
    sweep: Sequence[dict[str, Any]], picks: dict[str, float | None], outcome: str, base_rate: float
) -> list[str]:
    """A warning for each recommended threshold whose lift is under 1: its MQLs reach the
    outcome less often than contacts at large, so adopting it is worse than no scoring."""
    rows = {r["threshold"]: r for r in sweep}
    out = []
    for name, threshold in picks.items():
        row = rows.get(threshold) if threshold is not None else None
        if row is not None and row["lift"] < 1:
            out.append(
                f"the {name} threshold {threshold:g} has lift {row['lift']:.2f}: its MQLs reach "
                f"'{outcome}' less often ({row['precision']:.1%}) than contacts at large "
                f"({base_rate:.1%}); the model does worse than no scoring there"
            )
    return out


def model_report(
    label: str,
    model: ScoringModel,
    history: History,
    *,
    start: datetime,
    end: datetime,
    step: timedelta,
    outcome: Outcome,
    capacity: Capacity | None,
    dimension: Dimension | None = None,
    thresholds: Sequence[float] | None = None,
) -> ModelReport:
    """Backtest one model: replayed once, then read for the monthly table and the sweep."""
    dim = dimension or default_dimension(model)
    # The sweep's floor is looser than the model's rule, so one replay serves both; it runs on
    # the analytics engine chosen at start, the counts and ratios here on its small result.
    floor = sweep_floor(model, dim)
    run = chosen_replay(model, history, start=start, end=end, step=step, floor=floor)
    result = backtest(model, history, start=start, end=end, step=step, replayed=run)
    sweep = threshold_sweep(
        model,
        history,
        start=start,
        end=end,
        step=step,
        thresholds=thresholds,
        dimension=dim,
        outcome=outcome,
        max_mqls=capacity.max_mqls if capacity else None,
        replayed=run,
    )
    unlimited = (
        sweep
        if capacity is None
        else threshold_sweep(
            model,
            history,
            start=start,
            end=end,
            step=step,
            thresholds=sweep.table["threshold"].to_list(),
            dimension=dim,
            outcome=outcome,
            replayed=run,
        )
    )
    rows = sweep.table.to_dicts()
    hits = {"sql": result.sqls, "opportunity": result.opportunities, "won": result.won}[outcome]
    return ModelReport(
        label=label,
        mql_rule=mql_rule_text(model),
        mqls=result.mqls,
        sals=result.sals,
        sqls=result.sqls,
        opportunities=result.opportunities,
        won=result.won,
        revenue=result.revenue,
        conversion=hits / result.mqls if result.mqls else 0.0,
        months=monthly(result.contacts, history),
        dimension=dim,
        sweep=rows,
        f1_threshold=unlimited.recommended,
        f1_criterion=unlimited.criterion,
        capacity_threshold=sweep.capacity_pick,
        capacity_criterion=sweep.capacity_criterion,
        base_rate=sweep.base_rate,
        warnings=lift_warnings(
            rows,
            {"F1-best": unlimited.recommended, "within-capacity": sweep.capacity_pick},
            outcome,
            sweep.base_rate,
        ),
    )


def build_report(
    models: Sequence[tuple[str, ScoringModel]],
    history: History,
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=7),
    outcome: Outcome = "won",
    mqls_per_rep_week: float | None = None,
    reps: int = 1,
    dimension: Dimension | None = None,
) -> BacktestReport:
    """Backtest each model over the same history and period (side by side when two)."""
    if not models:
        raise ValueError("give at least one model to backtest")
    if end <= start:
        raise ValueError(
            f"the period must end after it starts ({start:%Y-%m-%d} .. {end:%Y-%m-%d})"
        )
    capacity = (
        Capacity(mqls_per_rep_week, reps, (end - start) / timedelta(days=7))
        if mqls_per_rep_week is not None
        else None
    )
    sections = [
        model_report(
            label,
            model,
            history,
            start=start,
            end=end,
            step=step,
            outcome=outcome,
            capacity=capacity,
            dimension=dimension,
        )
        for label, model in models
    ]
    return BacktestReport(
        start=start,
        end=end,
        step_days=step / timedelta(days=1),
        outcome=outcome,
        capacity=capacity,
        models=sections,
    )


def year_before(end: datetime) -> datetime:
    """The default backtest start: one year before `end`."""
    return (end - timedelta(days=365)).astimezone(UTC)
