"""Retention on the Maven CRM data (a public B2B pipeline, /work/shared/data): each won deal
read as a twelve-month subscription of its close value / 12 a month. The figures from the
subscription events (`tandem.usage.retention`) equal pandas summing the deals active at each
moment, an independent recount."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from tandem.usage.retention import retention

PIPELINE = Path("/work/shared/data/crm-sales-opportunities/sales_pipeline.csv")
pytestmark = pytest.mark.skipif(not PIPELINE.exists(), reason="the Maven data set is not here")


def _deals() -> pd.DataFrame:
    deals = pd.read_csv(PIPELINE, parse_dates=["close_date"])
    won = deals[(deals.deal_stage == "Won") & deals.account.notna()].copy()
    won["start"] = won.close_date.dt.tz_localize("UTC")
    won["end"] = won.start + pd.DateOffset(years=1)
    won["mrr"] = won.close_value / 12
    return won


def _events(won: pd.DataFrame) -> pl.DataFrame:
    """Each change of an account's MRR (a deal starting or ending) as a subscription event."""
    changes = pd.concat(
        [
            won[["account", "start", "mrr"]].rename(columns={"start": "at"}),
            won[["account", "end", "mrr"]].rename(columns={"end": "at"}).assign(mrr=-won.mrr),
        ]
    )
    changes = changes.groupby(["account", "at"], as_index=False).mrr.sum().sort_values("at")
    rows, ids = [], {name: i for i, name in enumerate(sorted(won.account.unique()), 1)}
    for account, group in changes.groupby("account"):
        level = 0.0
        for at, delta in zip(group["at"], group["mrr"], strict=True):
            after = max(0.0, round(level + delta, 6))
            kind = (
                "start" if level == 0 else "churn" if after == 0
                else "upgrade" if after > level else "downgrade"
            )  # fmt: skip
            rows.append((ids[account], kind, at.to_pydatetime(), level, after))
            level = after
    return pl.DataFrame(
        rows,
        schema={"account_id": pl.Int64, "kind": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                "mrr_before": pl.Float64, "mrr_after": pl.Float64},
        orient="row",
    )  # fmt: skip


def _paying(won: pd.DataFrame, at: datetime) -> pd.Series:
    active = won[(won.start < at) & (won.end >= at)]
    return active.groupby("account").mrr.sum()


@pytest.mark.parametrize("start", ["2017-04-01", "2017-07-01"])
def test_retention_from_events_equals_pandas_on_deal_intervals(start):
    won = _deals()
    begin = datetime.fromisoformat(start).replace(tzinfo=UTC)
    end = begin + timedelta(days=182)
    ours = retention(_events(won), begin, end)
    at_start = _paying(won, begin)
    at_start = at_start[at_start > 1e-9]
    at_end = _paying(won, end).reindex(at_start.index).fillna(0.0).clip(lower=0)
    lost = at_end <= 1e-9
    assert ours.accounts == len(at_start) > 50
    assert ours.start_mrr == pytest.approx(at_start.sum())
    assert ours.churned == pytest.approx(at_start[lost].sum())
    assert ours.net_revenue_retention == pytest.approx(at_end.sum() / at_start.sum())
    assert ours.gross_revenue_retention == pytest.approx(
        at_end.combine(at_start, min).sum() / at_start.sum()
    )
    assert ours.logo_churn == pytest.approx(lost.mean())
