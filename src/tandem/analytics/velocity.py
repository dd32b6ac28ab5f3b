"""Velocity: time spent in each stage (from the transition log) and the sales cycle. Pure."""

from datetime import datetime

import numpy as np
import polars as pl

from tandem.analytics.frames import STAY_STAGES, day_number, stop_day
from tandem.analytics.ratios import durations
from tandem.analytics.schemas import CycleRow, StageTime

#: Stages whose stays are measured.
MEASURED = STAY_STAGES


def _quantiles(days: np.ndarray) -> tuple[float | None, float | None]:
    if len(days) == 0:
        return None, None
    median, p90 = np.percentile(days, [50, 90])  # linear interpolation, as pandas does
    return float(median), float(p90)


def stage_times(
    stays: pl.DataFrame,
    mask: pl.Expr | None,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> list[StageTime]:
    """Median and p90 days in each stage for stays that began in the range and have ended.

    Stays still open at `as_of` are counted apart: including them would understate the time.
    `stays` is sorted by stage rank and entry day (see `frames.stays`), so each stage's stays
    in the range are one slice found by binary search; `mask` (None: no filter) keeps rows.
    """
    narrow = stays.select(
        "rank", "entered_day", "left_day", "days", *(() if mask is None else [mask.alias("_k")])
    )
    if mask is not None:
        narrow = narrow.filter(pl.col("_k"))
    rank = narrow["rank"].to_numpy()
    entered = narrow["entered_day"].to_numpy()
    left = narrow["left_day"].to_numpy()
    days = narrow["days"].to_numpy()
    first, stop, ended_by = day_number(start), stop_day(min(end, as_of)), stop_day(as_of)
    out = []
    for k, stage in enumerate(MEASURED):
        lo, hi = np.searchsorted(rank, [k, k + 1])
        a = lo + np.searchsorted(entered[lo:hi], first)
        b = lo + np.searchsorted(entered[lo:hi], stop)
        ended = left[a:b] < ended_by
        median, p90 = _quantiles(days[a:b][ended])
        count = int(ended.sum())
        out.append(
            StageTime(
                stage=stage,
                count=count,
                median_days=median,
                p90_days=p90,
                still_in_stage=int(b - a) - count,
            )
        )
    return out


def sales_cycle(
    opportunities: pl.DataFrame, start: datetime, end: datetime, as_of: datetime
) -> list[CycleRow]:
    """Days from opportunity created to closed, for deals closed in the range, by type. Deals
    of unknown creation date are left out of the durations and counted in `unknown`."""
    stop = min(end, as_of)
    closed = opportunities.filter(
        pl.col("is_closed"), pl.col("closed_at") >= start, pl.col("closed_at") < stop
    ).with_columns(days=(pl.col("closed_at") - pl.col("created_at")).dt.total_seconds() / 86400)
    out = []
    for deal_type in ["all", *sorted(closed["deal_type"].unique().to_list())]:
        typed = closed if deal_type == "all" else closed.filter(pl.col("deal_type") == deal_type)
        for outcome, won in (("won", True), ("lost", False)):
            days = typed.filter(pl.col("is_won") == won)["days"]
            count, median, p90 = durations(days)
            out.append(
                CycleRow(
                    deal_type=deal_type,
                    outcome=outcome,
                    count=count,
                    median_days=median,
                    p90_days=p90,
                    unknown=days.null_count(),
                )
            )
    return out
