"""Lifetime value per segment from the workspace's own closed deals. Pure, explicit `as_of`."""

from datetime import datetime

import polars as pl
from pydantic import BaseModel

from tandem.analytics.ratios import rate

#: Longest lifetime assumed, in years, when no renewal has been lost.
MAX_YEARS = 5.0
METHOD = (
    "LTV = average first-year revenue per customer account (won new business of known amount) "
    "× (1 + expansion rate, won upsell ÷ won new) × expected lifetime in years "
    f"(1 ÷ annual churn, churn = lost renewals ÷ closed renewals; at most {MAX_YEARS:g} years). "
    "Computed from this workspace's closed deals up to the review date."
)


class SegmentLtv(BaseModel):
    """The inputs and result of the LTV estimate for one segment."""

    segment: str
    customers: int
    revenue_per_account: float | None
    expansion_rate: float | None
    renewals_closed: int
    churn_rate: float | None
    lifetime_years: float | None
    ltv: float | None
    note: str | None
    unknown_amount: int = 0  # won deals left out of the revenue: their amount is unknown


def _segment(deals: pl.DataFrame, segment: str) -> SegmentLtv:
    # Revenue per account and expansion read the deals whose amount is known: an account won
    # at an unknown amount is not an account won at 0.
    all_won = deals.filter(pl.col("is_won"))
    won = all_won.filter(pl.col("amount").is_not_null())
    new = won.filter(pl.col("deal_type") == "new")
    customers = new["account_id"].drop_nulls().n_unique()
    new_amount = float(new["amount"].sum())
    upsell = float(won.filter(pl.col("deal_type") == "upsell")["amount"].sum())
    renewals = deals.filter(pl.col("deal_type") == "renewal", pl.col("is_closed"))
    lost = renewals.filter(~pl.col("is_won")).height
    arpa = rate(new_amount, customers)
    expansion = rate(upsell, new_amount)
    churn = rate(lost, renewals.height)
    years = None if churn is None else (MAX_YEARS if churn == 0 else min(1 / churn, MAX_YEARS))
    note = None
    if customers == 0 and all_won.height > won.height:
        note = "no customer won at a known amount"
    elif customers == 0:
        note = "no customer won yet"
    elif customers == 1:
        note = "only one customer: too little history to estimate"
    elif churn is None:
        note = "no renewal has closed yet, so churn and lifetime are unknown"
    ltv = None
    if note is None and arpa is not None and years is not None:
        ltv = arpa * (1 + (expansion or 0.0)) * years
    return SegmentLtv(
        segment=segment,
        customers=customers,
        revenue_per_account=arpa,
        expansion_rate=expansion,
        renewals_closed=renewals.height,
        churn_rate=churn,
        lifetime_years=years,
        ltv=ltv,
        note=note,
        unknown_amount=all_won.height - won.height,
    )


def ltv_by_segment(opportunities: pl.DataFrame, as_of: datetime) -> list[SegmentLtv]:
    """LTV per segment (see `METHOD`), counting deals closed by `as_of`."""
    closed = opportunities.filter(pl.col("is_closed"), pl.col("closed_at") <= as_of)
    segments = sorted(closed["segment"].unique().to_list())
    return [_segment(closed.filter(pl.col("segment") == s), s) for s in segments]
