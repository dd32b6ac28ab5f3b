"""Pre-aggregated reach counts, so the funnel of a whole workspace costs a few thousand rows.

`reach_rollup` counts contacts by (dimension value, stage, day reached, depth) once per facts
build: one block without a dimension and one per dimension. The funnel of the whole workspace,
or of one dimension value, is then read from it; several filters at once go back to the
contact rows (they select few rows, which is fast). Counting uses the stored depth (stages
reached so far), so the rollup answers only for an `as_of` no earlier than the facts. Pure.
"""

from datetime import datetime

import polars as pl

from tandem.analytics.dims import DIMENSIONS
from tandem.analytics.frames import STAGES, day_column, day_number, month_label, stop_day
from tandem.analytics.ratios import rate
from tandem.analytics.schemas import BreakdownRow, Conversion, MonthStageCount, StageCount

#: Rollup stage codes: the funnel stages in order, then "created" (for cohorts).
CODES: tuple[str, ...] = (*STAGES, "created")


def reach_rollup(contacts: pl.DataFrame) -> pl.DataFrame:
    """Contacts per (key, value, stage code, day, depth); key None is the whole workspace."""
    blocks = []
    for key in (None, *DIMENSIONS):
        for code, stage in enumerate(CODES):
            keys = [pl.col(day_column(stage)).alias("day"), pl.col("depth")]
            if key:
                keys.insert(0, pl.col(key).cast(pl.String).alias("value"))
            block = (
                contacts.filter(pl.col(day_column(stage)).is_not_null())
                .group_by(keys)
                .agg(pl.len().cast(pl.Int64).alias("n"))
            )
            if not key:
                block = block.with_columns(pl.lit(None, pl.String).alias("value"))
            blocks.append(
                block.select(
                    pl.lit(key or "", pl.String).alias("key"),
                    "value",
                    pl.lit(code, pl.Int8).alias("code"),
                    "day",
                    "depth",
                    "n",
                )
            )
    out = pl.concat(blocks).with_columns(pl.col("key").cast(pl.Categorical))
    return out.sort("key", "value", "code", "day").rechunk()


def usable(values: dict[str, str], as_of: datetime, loaded_at: datetime) -> bool:
    """Whether the rollup can answer: at most one filter, and facts no newer than `as_of`."""
    return len(values) <= 1 and as_of >= loaded_at


def breakdown_usable(values: dict[str, str], by: str) -> bool:
    """Whether the rollup holds the breakdown by `by` under these filters."""
    return not values or set(values) == {by}


def _block(rollup: pl.DataFrame, key: str, value: str | None = None) -> pl.DataFrame:
    block = rollup.filter(pl.col("key") == key)
    return block if value is None else block.filter(pl.col("value") == value)


def _range(block: pl.DataFrame, start: datetime, stop: datetime) -> pl.DataFrame:
    return block.filter(pl.col("day").is_between(day_number(start), stop_day(stop) - 1))


def funnel(
    rollup: pl.DataFrame,
    values: dict[str, str],
    start: datetime,
    end: datetime,
    as_of: datetime,
    view: str,
) -> tuple[list[StageCount], list[MonthStageCount], list[Conversion]]:
    """Totals, monthly counts and conversions from the rollup (see `usable`)."""
    stop = min(end, as_of)
    name, value = next(iter(values.items()), ("", None))
    base = _range(_block(rollup, name, value), start, stop)
    table = base.group_by("code", "depth").agg(pl.col("n").sum())
    entered = {
        STAGES[c]: int(n)
        for c, n in table.group_by("code").agg(pl.col("n").sum()).iter_rows()
        if c < len(STAGES)
    }
    totals = [StageCount(stage=s, contacts=entered.get(s, 0)) for s in STAGES]
    conversions = []
    for i, (a, b) in enumerate(zip(STAGES, STAGES[1:], strict=False)):
        went_on = int(table.filter(pl.col("code") == i, pl.col("depth") >= i + 2)["n"].sum())
        conversions.append(
            Conversion(
                from_stage=a,
                to_stage=b,
                entered=entered.get(a, 0),
                converted=went_on,
                rate=rate(went_on, entered.get(a, 0)),
            )
        )
    return totals, _monthly(base, view), conversions


def _months(days: pl.Expr) -> pl.Expr:
    date = days.cast(pl.Date)
    return (date.dt.year() * 12 + date.dt.month() - 1).cast(pl.Int32)


def _monthly(base: pl.DataFrame, view: str) -> list[MonthStageCount]:
    out = []
    if view == "period":
        table = (
            base.filter(pl.col("code") < len(STAGES))
            .group_by(pl.col("code"), _months(pl.col("day")).alias("m"))
            .agg(pl.col("n").sum())
        )
        out = [
            MonthStageCount(month=month_label(m), stage=STAGES[c], contacts=int(n))
            for c, m, n in table.iter_rows()
        ]
    else:
        created = base.filter(pl.col("code") == len(STAGES))
        table = created.group_by(_months(pl.col("day")).alias("m"), "depth").agg(pl.col("n").sum())
        for m in table["m"].unique().to_list():
            rows = table.filter(pl.col("m") == m)
            depth, n = rows["depth"].to_numpy(), rows["n"].to_numpy()
            for i, stage in enumerate(STAGES):
                count = int(n[depth > i].sum())
                if count:
                    out.append(MonthStageCount(month=month_label(m), stage=stage, contacts=count))
    return sorted(out, key=lambda r: (r.month, STAGES.index(r.stage)))


def breakdown(
    rollup: pl.DataFrame,
    values: dict[str, str],
    by: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> list[BreakdownRow]:
    """Per value of `by`: reaches per stage, MQL to SQL, lead to customer (`breakdown_usable`)."""
    block = _range(_block(rollup, by, values.get(by)), start, min(end, as_of))
    table = block.group_by("value", "code", "depth").agg(pl.col("n").sum())
    sql, customer = STAGES.index("sql"), STAGES.index("customer")
    rows = []
    for value in sorted(table["value"].unique().to_list()):
        part = table.filter(pl.col("value") == value)
        code, depth, n = (part[c].to_numpy() for c in ("code", "depth", "n"))
        stages = {s: int(n[code == i].sum()) for i, s in enumerate(STAGES)}
        if not any(stages.values()):
            continue
        mql_sql = int(n[(code == STAGES.index("mql")) & (depth > sql)].sum())
        lead_cust = int(n[(code == STAGES.index("lead")) & (depth > customer)].sum())
        rows.append(
            BreakdownRow(
                value=value,
                stages=stages,
                mql_to_sql=rate(mql_sql, stages["mql"]),
                lead_to_customer=rate(lead_cust, stages["lead"]),
            )
        )
    return rows
