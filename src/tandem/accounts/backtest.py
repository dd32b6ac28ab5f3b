"""Backtest an account score model on history, pure: at each date of a grid, which accounts the
model would have made MQAs (the vectorised rescore as of that date; fit uses today's fields),
and how many of them, against the rest, had a deal created within the horizon after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from tandem.accounts.rescore import Rollup, full_frame
from tandem.accounts.score_model import AccountScoreModel
from tandem.scoring.engine import US_PER_DAY


@dataclass(frozen=True)
class BacktestRow:
    as_of_us: int
    accounts: int
    mqa: int
    mqa_with_deal: int  # MQAs with a deal created in (as_of, as_of + horizon]
    others_with_deal: int

    @property
    def mqa_rate(self) -> float | None:
        return self.mqa_with_deal / self.mqa if self.mqa else None

    @property
    def other_rate(self) -> float | None:
        others = self.accounts - self.mqa
        return self.others_with_deal / others if others else None

    @property
    def lift(self) -> float | None:
        a, b = self.mqa_rate, self.other_rate
        return a / b if a is not None and b else None


def backtest(
    model: AccountScoreModel,
    *,
    accounts: pl.DataFrame,
    contacts: pl.LazyFrame,
    activities: pl.LazyFrame,
    deals: pl.DataFrame,  # account_id, created_us
    dates_us: Sequence[int],
    horizon_days: int = 90,
    signals: pl.LazyFrame | None = None,
    rollup: Rollup | None = None,
) -> list[BacktestRow]:
    """One row per date: MQAs as of the date and how many got a deal within the horizon; each
    date's roll-up by `rollup` (default: in this process)."""
    rows = []
    for as_of in dates_us:
        scored = full_frame(
            model,
            accounts=accounts,
            contacts=contacts,
            activities=activities,
            signals=signals,
            as_of_us=as_of,
            rollup=rollup,
        )
        later = (
            deals.filter(
                (pl.col("created_us") > as_of)
                & (pl.col("created_us") <= as_of + horizon_days * US_PER_DAY)
            )
            .select("account_id")
            .unique()
        )
        joined = (
            scored.select("account_id", "is_mqa")
            .join(later.with_columns(deal=pl.lit(True)), on="account_id", how="left")
            .with_columns(pl.col("deal").fill_null(False))
        )
        mqa = joined.filter(pl.col("is_mqa"))
        rest = joined.filter(~pl.col("is_mqa"))
        rows.append(
            BacktestRow(
                as_of, joined.height, mqa.height, int(mqa["deal"].sum()), int(rest["deal"].sum())
            )
        )
    return rows
