"""Revenue retention from the subscription history. Pure (Polars).

`events`: `account_id`, `kind` (start, renewal, upgrade, downgrade, churn), `occurred_at`
(aware UTC), `mrr_before`, `mrr_after`. An account's MRR at a moment is the `mrr_after` of its
latest event before it. Over a window [start, end):

* the cohort is the accounts paying at `start` (MRR above 0), `start_mrr` their MRR;
* expansion, contraction and churned revenue are the cohort's MRR changes by upgrades,
  downgrades and churn events in the window (a renewal at a new price counts as an upgrade or a
  downgrade by its sign);
* gross revenue retention = (start_mrr - contraction - churned) / start_mrr;
* net revenue retention = (start_mrr + expansion - contraction - churned) / start_mrr;
* logo churn = cohort accounts with a churn event in the window / cohort accounts.
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
    inside = events.filter((pl.col("occurred_at") >= start) & (pl.col("occurred_at") < end))
    delta = pl.col("mrr_after") - pl.col("mrr_before")
    ours = inside.join(cohort.select("account_id"), on="account_id", how="semi")
    sums = ours.select(
        expansion=delta.filter((pl.col("kind") != "churn") & (delta > 0)).sum(),
        contraction=(-delta).filter((pl.col("kind") != "churn") & (delta < 0)).sum(),
        churned=pl.col("mrr_before").filter(pl.col("kind") == "churn").sum(),
        churned_accounts=pl.col("account_id").filter(pl.col("kind") == "churn").n_unique(),
    ).row(0, named=True)
    new = inside.join(cohort.select("account_id"), on="account_id", how="anti")
    new_mrr = float(new.filter(pl.col("kind") == "start")["mrr_after"].sum())
    start_mrr = float(cohort["mrr"].sum())
    expansion, contraction = float(sums["expansion"] or 0), float(sums["contraction"] or 0)
    churned = float(sums["churned"] or 0)
    count = cohort.height
    return Retention(
        accounts=count,
        start_mrr=start_mrr,
        expansion=expansion,
        contraction=contraction,
        churned=churned,
        churned_accounts=int(sums["churned_accounts"] or 0),
        new_mrr=new_mrr,
        gross_revenue_retention=(start_mrr - contraction - churned) / start_mrr
        if start_mrr
        else None,
        net_revenue_retention=(start_mrr + expansion - contraction - churned) / start_mrr
        if start_mrr
        else None,
        logo_churn=int(sums["churned_accounts"] or 0) / count if count else None,
    )
