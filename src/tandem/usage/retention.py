"""Revenue retention from the subscription history. Pure (Polars).

`events`: `account_id`, `kind` (start, renewal, upgrade, downgrade, churn), `occurred_at`
(aware UTC), `mrr_before`, `mrr_after`. An account's MRR at a moment is the `mrr_after` of its
latest event before it. Over a window [start, end):

* the cohort is the accounts paying at `start` (MRR above 0), `start_mrr` their MRR;
* each cohort account's MRR at `end` against its MRR at `start`: a rise is expansion, a fall
  contraction, and an account at 0 is churned (its whole starting MRR lost, never more), so
  an upgrade then a downgrade inside the window nets out;
* gross revenue retention = (start_mrr - contraction - churned) / start_mrr;
* net revenue retention = (start_mrr + expansion - contraction - churned) / start_mrr;
* logo churn = cohort accounts at 0 MRR at `end` / cohort accounts.

New accounts (a start inside the window) are not in the cohort; their MRR is `new_mrr`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import polars as pl


@dataclass(frozen=True)
class Retention:
    """Retention figures of one window (ratios None when nobody paid at the start)."""

    accounts: int
    start_mrr: float
    expansion: float
    contraction: float
    churned: float
    churned_accounts: int
    new_mrr: float
    gross_revenue_retention: float | None
    net_revenue_retention: float | None
    logo_churn: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def mrr_at(events: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """`account_id`, `mrr`: each account's MRR at `at` (accounts with events before it)."""
    return (
        events.filter(pl.col("occurred_at") < at)
        .sort("occurred_at")
        .group_by("account_id")
        .agg(mrr=pl.col("mrr_after").last())
    )


def retention(events: pl.DataFrame, start: datetime, end: datetime) -> Retention:
    """The retention figures of [start, end)."""
    cohort = mrr_at(events, start).filter(pl.col("mrr") > 0)
    ended = mrr_at(events, end).select("account_id", end_mrr="mrr")
    moved = cohort.join(ended, on="account_id", how="left").with_columns(
        pl.col("end_mrr").fill_null(0.0)
    )
    change = pl.col("end_mrr") - pl.col("mrr")
    lost = pl.col("end_mrr") <= 0
    sums = moved.select(
        start=pl.col("mrr").sum(),
        expansion=change.clip(lower_bound=0).sum(),
        contraction=(-change).clip(lower_bound=0).filter(~lost).sum(),
        churned=pl.col("mrr").filter(lost).sum(),
        churned_accounts=lost.sum(),
    ).row(0, named=True)
    inside = events.filter((pl.col("occurred_at") >= start) & (pl.col("occurred_at") < end))
    new = inside.join(cohort.select("account_id"), on="account_id", how="anti")
    new_mrr = float(new.filter(pl.col("kind") == "start")["mrr_after"].sum())
    start_mrr = float(sums["start"] or 0)
    expansion, contraction = float(sums["expansion"] or 0), float(sums["contraction"] or 0)
    churned, count = float(sums["churned"] or 0), cohort.height
    lost_accounts = int(sums["churned_accounts"] or 0)
    return Retention(
        accounts=count,
        start_mrr=start_mrr,
        expansion=expansion,
        contraction=contraction,
        churned=churned,
        churned_accounts=lost_accounts,
        new_mrr=new_mrr,
        gross_revenue_retention=(start_mrr - contraction - churned) / start_mrr
        if start_mrr
        else None,
        net_revenue_retention=(start_mrr + expansion - contraction - churned) / start_mrr
        if start_mrr
        else None,
        logo_churn=lost_accounts / count if count else None,
    )
