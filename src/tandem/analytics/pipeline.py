"""Pipeline, win rate, deal types and bookings over the opportunity facts. Pure (Polars).

A deal's amount or creation date may be unknown (null: the source did not give it). Money
figures sum the known amounts and say how many deals they leave out (`unknown_amount`); an
average divides by the deals of known amount; "created in the range" never counts a deal of
unknown creation date.
"""

from datetime import datetime

import polars as pl

from tandem.analytics.periods import Period
from tandem.analytics.ratios import rate
from tandem.analytics.schemas import (
    Coverage,
    MonthStageAmount,
    MonthTypeAmount,
    StageAmount,
)
from tandem.opportunities.stages import DealStage

OPEN_STAGES = (
    DealStage.DISCOVERY,
    DealStage.QUALIFICATION,
    DealStage.PROPOSAL,
    DealStage.NEGOTIATION,
)


#: Deals whose amount is unknown, in an aggregation.
UNKNOWN_AMOUNT = pl.col("amount").is_null().sum().alias("unknown_amount")


def open_at(opportunities: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Deals created by `as_of` and not closed by then. A deal of unknown creation date that
    is not closed by `as_of` is open: it is in the pipeline, only since when is unknown."""
    return opportunities.filter(
        pl.col("created_at").is_null() | (pl.col("created_at") <= as_of),
        pl.col("closed_at").is_null() | (pl.col("closed_at") > as_of),
    )


def closed_in(opportunities: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Deals closed (won or lost) within ``[start, end)``."""
    return opportunities.filter(
        pl.col("is_closed"), pl.col("closed_at") >= start, pl.col("closed_at") < end
    )


def open_by_stage(open_deals: pl.DataFrame) -> list[StageAmount]:
    """Open deals and amount per pipeline stage, in pipeline order."""
    grouped = {
        s: (n, a, u)
        for s, n, a, u in open_deals.group_by("stage")
        .agg(pl.len(), pl.col("amount").sum(), UNKNOWN_AMOUNT)
        .iter_rows()
    }
    order = [s.value for s in OPEN_STAGES] + sorted(set(grouped) - {s.value for s in OPEN_STAGES})
    return [
        StageAmount(
            stage=s, deals=grouped[s][0], amount=float(grouped[s][1]), unknown_amount=grouped[s][2]
        )
        for s in order
        if s in grouped
    ]


def open_by_close_month(open_deals: pl.DataFrame) -> list[MonthStageAmount]:
    """Open amount per expected close month and stage (no date: "undated")."""
    table = (
        open_deals.with_columns(
            month=pl.col("expected_close_on").dt.strftime("%Y-%m").fill_null("undated")
        )
        .group_by("month", "stage")
        .agg(pl.len().alias("deals"), pl.col("amount").sum(), UNKNOWN_AMOUNT)
        .sort("month", "stage")
    )
    return [MonthStageAmount(**r) for r in table.iter_rows(named=True)]


def coverage(
    opportunities: pl.DataFrame, period: Period, target: float | None, as_of: datetime
) -> Coverage:
    """Open pipeline expected to close in `period` divided by what the target still needs."""
    booked = float(
        closed_in(opportunities, period.start_at, min(period.end_at, as_of))
        .filter(pl.col("is_won"))["amount"]
        .sum()
    )
    due = open_at(opportunities, as_of).filter(
        pl.col("expected_close_on") < period.end, pl.col("expected_close_on").is_not_null()
    )
    open_due = float(due["amount"].sum())
    needed = None if target is None else max(target - booked, 0.0)
    return Coverage(
        period=period.label,
        target=target,
        booked=booked,
        still_needed=needed,
        open_due=open_due,
        ratio=rate(open_due, needed) if needed is not None else None,
    )


def bookings_by_month(
    opportunities: pl.DataFrame, start: datetime, end: datetime
) -> list[MonthTypeAmount]:
    """Won amount per close month and deal type."""
    table = (
        closed_in(opportunities, start, end)
        .filter(pl.col("is_won"))
        .group_by(month=pl.col("closed_at").dt.strftime("%Y-%m"), deal_type=pl.col("deal_type"))
        .agg(pl.len().alias("deals"), pl.col("amount").sum(), UNKNOWN_AMOUNT)
        .sort("month", "deal_type")
    )
    return [MonthTypeAmount(**r) for r in table.iter_rows(named=True)]
