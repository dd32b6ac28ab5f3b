"""Backtest a scoring model on history: MQLs it would have made and what became of them.

The model is replayed with `rescore` as of each date of a grid (start, start + step, ..., end).
A contact's MQL date is the first grid date it meets the MQL rule; in a period backtest those
already meeting it at `start` are left out (they crossed before the period). Outcomes count
from the previous grid date (the *bucket start*), so a conversion in the same week as the
crossing is not lost to the grid's resolution:

* SQL: a transition to sql, opportunity or customer, or an opportunity created;
* opportunity: a transition to opportunity or customer, or an opportunity created;
* won: a won opportunity closed after the bucket start (its `closed_at`, or `created_at` when
  the close date is unknown); a transition to customer counts only for contacts no won
  opportunity links to, so a contact is never "won" by a deal closed before it crossed;
* revenue: amounts of the distinct won opportunities counted as won, so a month with won deals
  shows their revenue.

Opportunities link to contacts by `contact_id`, and also by `account_id` when both the
opportunities and the contacts tables have that column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import polars as pl

from tandem.lifecycle.stages import Stage
from tandem.scoring.engine import epoch_us
from tandem.scoring.grid import score_grid
from tandem.scoring.model import MqlRule, ScoringModel
from tandem.scoring.rescore import Frame, as_lazy, mql_expr

Outcome = Literal["sql", "opportunity", "won"]
Dimension = Literal["total", "fit", "engagement"]
_SAL_STAGES = [Stage.SAL.value, Stage.SQL.value, Stage.OPPORTUNITY.value, Stage.CUSTOMER.value]
_SQL_STAGES = [Stage.SQL.value, Stage.OPPORTUNITY.value, Stage.CUSTOMER.value]
_OPP_STAGES = [Stage.OPPORTUNITY.value, Stage.CUSTOMER.value]


@dataclass(frozen=True, slots=True)
class History:
    """What happened: contacts and activities, stage transitions and opportunities.

    transitions: contact_id, to_stage, occurred_at.
    opportunities: opportunity_id, contact_id (nullable), optional account_id, created_at,
    optional closed_at, won (bool), amount.
    """

    contacts: Frame
    activities: Frame
    transitions: Frame
    opportunities: Frame


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Headline numbers plus one row per MQL contact (mql_at, bucket_start, outcome flags)."""

    mqls: int
    sqls: int
    opportunities: int
    won: int
    revenue: float
    sql_rate: float
    opportunity_rate: float
    win_rate: float
    contacts: pl.DataFrame
    sals: int = 0
    sal_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class Replay:
    """A model's scores on a grid of dates: contact_id, k, fit/engagement/total cents."""

    dates: list[datetime]
    grid: pl.DataFrame


def replay(
    model: ScoringModel,
    history: History,
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=7),
    floor: MqlRule | None = None,
) -> Replay:
    """Score the model as of every grid date (see `score_grid`); reusable by `backtest` and
    `threshold_sweep` so a report replays history once."""
    dates = grid_dates(start, end, step)
    return Replay(
        dates, score_grid(model, history.contacts, history.activities, dates, floor=floor)
    )


def grid_dates(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """start, start + step, ... up to end, with end always included."""
    if end < start or step <= timedelta(0):
        raise ValueError("need start <= end and a positive step")
    dates, moment = [], start
    while moment < end:
        dates.append(moment)
        moment += step
    return [*dates, end]


def first_crossings(
    grid: pl.DataFrame, mql: pl.Expr, dates: Sequence[datetime], *, skip_first: bool
) -> pl.DataFrame:
    """contact_id, k, mql_us, from_us: first grid date each contact meets `mql` and the bucket
    start its outcomes count from (the previous grid date; the first date for k = 0).
    `skip_first` leaves out contacts already meeting `mql` on the first date."""
    first = grid.filter(mql).group_by("contact_id").agg(pl.col("k").min())
    if skip_first:
        first = first.filter(pl.col("k") > 0)
    at_us = [epoch_us(d) for d in dates]
    bucket = [at_us[0], *at_us[:-1]]
    return first.with_columns(
        pl.col("k").replace_strict(dict(enumerate(at_us)), return_dtype=pl.Int64).alias("mql_us"),
        pl.col("k").replace_strict(dict(enumerate(bucket)), return_dtype=pl.Int64).alias("from_us"),
    )


def opportunity_links(history: History) -> pl.DataFrame:
    """opportunity_id, contact_id, created_us, won_us, won, amount: each deal with every
    contact it links to (directly, or through the contact's account when both frames have
    account_id). won_us is when a won deal was won: its close date, else its creation date."""
    opps = as_lazy(history.opportunities)
    closed = (
        pl.col("closed_at").fill_null(pl.col("created_at"))
        if "closed_at" in opps.collect_schema()
        else pl.col("created_at")
    )
    opps = opps.with_columns(
        pl.col("created_at").dt.epoch("us").alias("created_us"),
        closed.dt.epoch("us").alias("won_us"),
    )
    cols = ("opportunity_id", "contact_id", "created_us", "won_us", "won", "amount")
    links = [opps.filter(pl.col("contact_id").is_not_null()).select(*cols)]
    people = as_lazy(history.contacts)
    if "account_id" in opps.collect_schema() and "account_id" in people.collect_schema():
        by_account = opps.drop("contact_id").join(
            people.select("contact_id", "account_id"), on="account_id"
        )
        links.append(by_account.select(*cols))
    return pl.concat(links, how="vertical_relaxed").unique().collect()


def outcomes(crossed: pl.DataFrame, history: History) -> pl.DataFrame:
    """Per MQL contact: reached_sal, reached_sql, reached_opportunity, won after its bucket
    start (SAL: a transition to sal or beyond, or an opportunity created; won: see the module
    docstring), and when each was first reached (sal_us, sql_us, opportunity_us, won_us; null
    when not reached)."""
    at = pl.col("at_us")
    moves = (
        as_lazy(history.transitions)
        .select("contact_id", "to_stage", pl.col("occurred_at").dt.epoch("us").alias("at_us"))
        .collect()
        .join(crossed.select("contact_id", "from_us"), on="contact_id")
        .filter(at > pl.col("from_us"))
        .group_by("contact_id")
        .agg(
            at.filter(pl.col("to_stage").is_in(_SAL_STAGES)).min().alias("t_sal"),
            at.filter(pl.col("to_stage").is_in(_SQL_STAGES)).min().alias("t_sql"),
            at.filter(pl.col("to_stage").is_in(_OPP_STAGES)).min().alias("t_opp"),
            at.filter(pl.col("to_stage") == Stage.CUSTOMER.value).min().alias("t_won"),
        )
    )
    won = pl.col("won").fill_null(False)
    after = pl.col("from_us")
    opps = (
        opportunity_links(history)
        .join(crossed.select("contact_id", "from_us"), on="contact_id")
        .group_by("contact_id")
        .agg(
            pl.col("created_us").filter(pl.col("created_us") > after).min().alias("o_opp"),
            pl.col("won_us").filter(won & (pl.col("won_us") > after)).min().alias("o_won"),
            won.any().alias("has_won_deal"),
        )
    )
    flags = crossed.join(moves, on="contact_id", how="left").join(opps, on="contact_id", how="left")
    first = {
        "sal_us": pl.min_horizontal("t_sal", "o_opp"),
        "sql_us": pl.min_horizontal("t_sql", "o_opp"),
        "opportunity_us": pl.min_horizontal("t_opp", "o_opp"),
        "won_us": pl.when(pl.col("has_won_deal").fill_null(False))
        .then(pl.col("o_won"))
        .otherwise(pl.col("t_won")),
    }
    return flags.select("contact_id", "mql_us", "from_us", **first).with_columns(
        pl.col("sal_us").is_not_null().alias("reached_sal"),
        pl.col("sql_us").is_not_null().alias("reached_sql"),
        pl.col("opportunity_us").is_not_null().alias("reached_opportunity"),
        pl.col("won_us").is_not_null().alias("won"),
    )


def won_deals(flags: pl.DataFrame, history: History, by: Sequence[str] = ()) -> pl.DataFrame:
    """The distinct won deals (per `by` group of `flags`) of the MQL contacts in `flags`, won
    after each contact's bucket start: the deals `outcomes` counts as won, with their amount."""
    return (
        opportunity_links(history)
        .filter(pl.col("won").fill_null(False))
        .join(flags.select("contact_id", "from_us", *by), on="contact_id")
        .filter(pl.col("won_us") > pl.col("from_us"))
        .unique(["opportunity_id", *by])
    )


def _revenue(flags: pl.DataFrame, history: History) -> float:
    return float(won_deals(flags, history)["amount"].sum() or 0.0)


def _result(flags: pl.DataFrame, history: History) -> BacktestResult:
    n = flags.height
    sals, sqls, opps, won = (
        int(flags[c].sum()) for c in ("reached_sal", "reached_sql", "reached_opportunity", "won")
    )
    return BacktestResult(
        mqls=n,
        sqls=sqls,
        opportunities=opps,
        won=won,
        revenue=_revenue(flags, history),
        sql_rate=sqls / n if n else 0.0,
        opportunity_rate=opps / n if n else 0.0,
        win_rate=won / n if n else 0.0,
        contacts=flags,
        sals=sals,
        sal_rate=sals / n if n else 0.0,
    )


def _model_mql(model: ScoringModel) -> pl.Expr:
    return mql_expr(model.mql.total, model.mql.fit, model.mql.engagement)


def evaluate_as_of(model: ScoringModel, history: History, *, as_of: datetime) -> BacktestResult:
    """MQLs as of one date (every contact meeting the rule then) and their later outcomes."""
    dates = [as_of]
    grid = score_grid(model, history.contacts, history.activities, dates, floor=model.mql)
    crossed = first_crossings(grid, _model_mql(model), dates, skip_first=False)
    return _result(outcomes(crossed, history), history)


def backtest(
    model: ScoringModel,
    history: History,
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=7),
    replayed: Replay | None = None,
) -> BacktestResult:
    """New MQLs the model would have produced in (start, end] and what became of them."""
    run = replayed or replay(model, history, start=start, end=end, step=step, floor=model.mql)
    crossed = first_crossings(run.grid, _model_mql(model), run.dates, skip_first=True)
    return _result(outcomes(crossed, history), history)


@dataclass(frozen=True, slots=True)
class Sweep:
    """One row per threshold, the F-beta ("Goldilocks") threshold and, given a capacity, the
    threshold that fills it best."""

    table: pl.DataFrame
    recommended: float | None
    criterion: str
    capacity_pick: float | None = None
    capacity_criterion: str = ""
    base_rate: float = 0.0


_OUTCOME_COLUMN = {"sql": "reached_sql", "opportunity": "reached_opportunity", "won": "won"}


def _positives(history: History, outcome: Outcome, start: datetime) -> tuple[int, float, int]:
    people = as_lazy(history.contacts).select("contact_id").collect()
    everyone = people.with_columns(pl.lit(epoch_us(start)).alias("from_us"), mql_us=pl.lit(0))
    flags = outcomes(everyone, history)
    column = _OUTCOME_COLUMN[outcome]
    revenue = _revenue(flags.filter(pl.col("won")), history)
    return int(flags[column].sum()), revenue, people.height


def sweep_floor(model: ScoringModel, dimension: Dimension) -> MqlRule:
    """The loosest MQL rule a sweep on `dimension` tests: the model's, without that threshold."""
    return model.mql.model_copy(update={dimension: None})


def threshold_sweep(
    model: ScoringModel,
    history: History,
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=7),
    thresholds: Sequence[float] | None = None,
    dimension: Dimension = "total",
    outcome: Outcome = "won",
    beta: float = 1.0,
    max_mqls: int | None = None,
    replayed: Replay | None = None,
) -> Sweep:
    """Replay the model at each threshold on `dimension`; other MQL thresholds stay as they are.

    A threshold's MQLs are the contacts meeting the rule at some grid date of the period, those
    already meeting it at `start` included, each with outcomes from its first such date's
    bucket start. So raising the threshold can only remove MQLs or move their first date later,
    and every count (MQLs, positives, revenue) never rises with the threshold. (`backtest`
    counts only new MQLs, which is not monotone across thresholds: a contact above 10 at the
    start is left out at 10 but counted at 50 once it crosses 50.)

    Columns: threshold, mqls, positives (MQLs reaching `outcome`), precision (their conversion
    rate), recall, lift (precision over the base rate of all contacts), f_beta, revenue,
    revenue_share. The Goldilocks threshold maximises F-beta of precision (quality) and recall
    (volume of real buyers caught); beta < 1 favours quality, > 1 volume; ties go to the higher
    threshold. With `max_mqls` (sales capacity for the period), thresholds producing more are
    ruled out, and `capacity_pick` is the threshold within capacity whose MQLs convert most
    often in number (ties: the higher conversion rate), i.e. the one that fills sales' capacity
    with the most buyers; a pure rate maximum would pick a threshold with a handful of MQLs.
    """
    run = replayed or replay(
        model, history, start=start, end=end, step=step, floor=sweep_floor(model, dimension)
    )
    grid, dates = run.grid, run.dates
    if thresholds is None:
        top = float(grid[f"{dimension}_cents"].max() or 0) / 100
        thresholds = sorted({round(x) for x in np.linspace(0, max(top, 1.0), 21)})
    total_pos, total_rev, population = _positives(history, outcome, start)
    base_rate = total_pos / population if population else 0.0
    column = _OUTCOME_COLUMN[outcome]
    rows = []
    for t in thresholds:
        mql = model.mql.model_copy(update={dimension: float(t)})
        crossed = first_crossings(
            grid, mql_expr(mql.total, mql.fit, mql.engagement), dates, skip_first=False
        )
        flags = outcomes(crossed, history)
        hits = int(flags[column].sum())
        precision = hits / flags.height if flags.height else 0.0
        recall = hits / total_pos if total_pos else 0.0
        b2 = beta * beta
        denom = b2 * precision + recall
        revenue = _revenue(flags, history)
        rows.append(
            {
                "threshold": float(t),
                "mqls": flags.height,
                "positives": hits,
                "precision": precision,
                "recall": recall,
                "lift": precision / base_rate if base_rate else 0.0,
                "f_beta": (1 + b2) * precision * recall / denom if denom else 0.0,
                "revenue": revenue,
                "revenue_share": revenue / total_rev if total_rev else 0.0,
            }
        )
    table = pl.DataFrame(rows)
    eligible = table if max_mqls is None else table.filter(pl.col("mqls") <= max_mqls)
    eligible = eligible.filter(pl.col("positives") > 0)
    recommended = capacity_pick = None
    if eligible.height:
        best = eligible.sort(["f_beta", "threshold"], descending=[True, True]).row(0, named=True)
        recommended = best["threshold"]
        if max_mqls is not None:
            order = ["positives", "precision", "threshold"]
            fill = eligible.sort(order, descending=[True, True, True]).row(0, named=True)
            capacity_pick = fill["threshold"]
    criterion = f"max F{beta:g} of precision and recall for outcome '{outcome}'"
    capacity_criterion = ""
    if max_mqls is not None:
        criterion += f", at most {max_mqls} MQLs"
        capacity_criterion = (
            f"most MQLs reaching '{outcome}' with at most {max_mqls} MQLs (sales capacity), "
            "ties to the higher conversion rate"
        )
    return Sweep(table, recommended, criterion, capacity_pick, capacity_criterion, base_rate)
