"""Funnel metrics over the contacts' first-reach columns. Pure (Polars), explicit `as_of`.

Period view: how many contacts reached each stage in each month. Cohort view: of the contacts
created in each month, how many have reached each stage by `as_of`. Conversion from stage A to
B: of the contacts that reached A in the range, the share that reached B by `as_of`.

Reach times are compared by UTC day. Because reaching a stage implies the earlier ones, the
stages a contact has reached by `as_of` are a prefix of the funnel: their count, the *depth*,
says which. Conversions and breakdowns are then one grouped pass over the contacts.
"""

from datetime import UTC, datetime
from typing import Literal

import numpy as np
import polars as pl

from tandem.analytics.frames import (
    STAGES,
    day_column,
    day_number,
    month_column,
    month_label,
    stop_day,
)
from tandem.analytics.ratios import rate
from tandem.analytics.schemas import BreakdownRow, Conversion, MonthStageCount, StageCount

View = Literal["period", "cohort"]


def depth(as_of: datetime, loaded_at: datetime) -> pl.Expr:
    """Stages reached by `as_of`: the stored depth when the facts are no newer than `as_of`."""
    if as_of >= loaded_at:
        return pl.col("depth")
    stop = stop_day(as_of)
    return pl.sum_horizontal(pl.col(day_column(s)) < stop for s in STAGES).cast(pl.Int8)


def _reached(reached: pl.Expr | None, as_of: datetime) -> pl.Expr:
    # Without the caller's word that the facts are no newer than `as_of`, count by day.
    return reached if reached is not None else depth(as_of, datetime.max.replace(tzinfo=UTC))


def _in(stage: str, start: datetime, stop: datetime) -> pl.Expr:
    return pl.col(day_column(stage)).is_between(day_number(start), stop_day(stop) - 1)


def _narrow(
    contacts: pl.DataFrame, mask: pl.Expr, by: str | None, reached: pl.Expr
) -> pl.DataFrame:
    """Only the day columns and the depth (and `by`), filtered by the dimension mask."""
    cols = [pl.col(day_column(s)) for s in (*STAGES, "created")] + [reached.alias("reached")]
    if by:
        cols.append(pl.col(by))
    frame = contacts.select(*cols, mask.alias("_keep"))
    return frame.filter(pl.col("_keep")).drop("_keep")


def _entered_by_depth(
    narrow: pl.DataFrame, start: datetime, stop: datetime, by: str | None
) -> pl.DataFrame:
    """Per (`by`,) depth: how many contacts entered each stage in the range."""
    keys = [by, "reached"] if by else ["reached"]
    return narrow.group_by(keys).agg(_in(s, start, stop).sum().alias(s) for s in STAGES)


def _counts(table: pl.DataFrame) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Entered per stage, and entered A then reached B, from a depth table."""
    entered = {s: int(table[s].sum()) for s in STAGES}
    converted = {}
    for i, (a, b) in enumerate(zip(STAGES, STAGES[1:], strict=False)):
        converted[(a, b)] = int(table.filter(pl.col("reached") >= i + 2)[a].sum())
    return entered, converted


def _range_counts(
    contacts: pl.DataFrame,
    mask: pl.Expr,
    start: datetime,
    end: datetime,
    as_of: datetime,
    reached: pl.Expr | None,
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """`_counts` over the contacts that entered stages within ``[start, min(end, as_of))``."""
    narrow = _narrow(contacts, mask, None, _reached(reached, as_of))
    return _counts(_entered_by_depth(narrow, start, min(end, as_of), None))


def stage_totals(
    contacts: pl.DataFrame,
    mask: pl.Expr,
    start: datetime,
    end: datetime,
    as_of: datetime,
    reached: pl.Expr | None = None,
) -> list[StageCount]:
    """Contacts that reached each stage within ``[start, min(end, as_of))``."""
    entered, _ = _range_counts(contacts, mask, start, end, as_of, reached)
    return [StageCount(stage=s, contacts=entered[s]) for s in STAGES]


def conversions(
    contacts: pl.DataFrame,
    mask: pl.Expr,
    start: datetime,
    end: datetime,
    as_of: datetime,
    reached: pl.Expr | None = None,
) -> list[Conversion]:
    """Stage-to-stage conversion along the funnel for contacts entering each stage in range."""
    entered, converted = _range_counts(contacts, mask, start, end, as_of, reached)
    return [
        Conversion(
            from_stage=a,
            to_stage=b,
            entered=entered[a],
            converted=converted[(a, b)],
            rate=rate(converted[(a, b)], entered[a]),
        )
        for a, b in zip(STAGES, STAGES[1:], strict=False)
    ]


def monthly(
    contacts: pl.DataFrame,
    mask: pl.Expr,
    start: datetime,
    end: datetime,
    as_of: datetime,
    view: View,
    reached: pl.Expr | None = None,
) -> list[MonthStageCount]:
    """Per month and stage: reaches in that month (period) or reaches of that month's cohort."""
    stop = min(end, as_of)
    stages = (*STAGES, "created") if view == "period" else ("created",)
    cols = [pl.col(month_column(s)) for s in stages]
    narrow = contacts.select(
        *cols,
        *[_in(s, start, stop).alias(f"in_{s}") for s in stages],
        (_reached(reached, as_of)).alias("reached"),
        mask.alias("_keep"),
    ).filter(pl.col("_keep"))
    out = []
    for i, stage in enumerate(STAGES):
        if view == "period":
            months = narrow.filter(pl.col(f"in_{stage}"))[month_column(stage)]
        else:
            keep = pl.col("in_created") & (pl.col("reached") > i)
            months = narrow.filter(keep)[month_column("created")]
        values = months.drop_nulls().to_numpy()
        if len(values) == 0:
            continue
        low = int(values.min())
        counts = np.bincount(values - low)
        out += [
            MonthStageCount(month=month_label(low + k), stage=stage, contacts=int(n))
            for k, n in enumerate(counts)
            if n
        ]
    return sorted(out, key=lambda r: (r.month, STAGES.index(r.stage)))


def breakdown(
    contacts: pl.DataFrame,
    mask: pl.Expr,
    by: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
    reached: pl.Expr | None = None,
) -> list[BreakdownRow]:
    """Per value of dimension `by`: reaches per stage in range, MQL to SQL, lead to customer."""
    stop = min(end, as_of)
    narrow = _narrow(contacts, mask, by, _reached(reached, as_of))
    table = _entered_by_depth(narrow, start, stop, by)
    sql, customer = STAGES.index("sql"), STAGES.index("customer")
    summary = table.group_by(by).agg(
        *[pl.col(s).sum() for s in STAGES],
        pl.col("mql").filter(pl.col("reached") > sql).sum().alias("mql>sql"),
        pl.col("lead").filter(pl.col("reached") > customer).sum().alias("lead>customer"),
    )
    rows = []
    for r in summary.iter_rows(named=True):
        stages = {s: int(r[s]) for s in STAGES}
        if any(stages.values()):
            rows.append(
                BreakdownRow(
                    value=str(r[by]),
                    stages=stages,
                    mql_to_sql=rate(r["mql>sql"], stages["mql"]),
                    lead_to_customer=rate(r["lead>customer"], stages["lead"]),
                )
            )
    return sorted(rows, key=lambda r: r.value)
