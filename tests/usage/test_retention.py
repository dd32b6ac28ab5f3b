"""Retention maths from subscription events: a recount by hand and invariants."""

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.usage.retention import retention

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)


def _events(rows):
    return pl.DataFrame(
        rows,
        schema={"account_id": pl.Int64, "kind": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                "mrr_before": pl.Float64, "mrr_after": pl.Float64},
        orient="row",
    )  # fmt: skip


def test_retention_recounted_by_hand():
    before = START - timedelta(days=30)
    events = _events([
        (1, "start", before, 0, 100), (2, "start", before, 0, 200), (3, "start", before, 0, 50),
        (1, "upgrade", START + timedelta(days=10), 100, 160),
        (2, "downgrade", START + timedelta(days=20), 200, 150),
        (3, "churn", START + timedelta(days=30), 50, 0),
        (4, "start", START + timedelta(days=40), 0, 500),  # new: not in the cohort
        (4, "upgrade", START + timedelta(days=50), 500, 900),
    ])  # fmt: skip
    r = retention(events, START, END)
    assert (r.accounts, r.start_mrr, r.expansion, r.contraction, r.churned) == (3, 350, 60, 50, 50)
    assert r.gross_revenue_retention == (350 - 50 - 50) / 350
    assert r.net_revenue_retention == (350 + 60 - 50 - 50) / 350
    assert (r.logo_churn, r.churned_accounts, r.new_mrr) == (1 / 3, 1, 500)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),
            st.sampled_from(["upgrade", "downgrade", "churn", "renewal"]),
            st.integers(0, 180),  # inside the window
            st.integers(1, 500),
        ),
        max_size=25,
    )
)
def test_gross_retention_is_at_most_one_and_at_most_net(changes):
    rows, mrr = [], {}
    for account in range(1, 7):
        mrr[account] = 100.0
        rows.append((account, "start", START - timedelta(days=90), 0.0, 100.0))
    for i, (account, kind, day, amount) in enumerate(sorted(changes, key=lambda c: c[2])):
        at = START + timedelta(days=day, seconds=i)
        if mrr[account] == 0:
            continue
        after = (
            0.0
            if kind == "churn"
            else max(0.0, mrr[account] + (amount if kind != "downgrade" else -amount) % 300)
        )
        rows.append((account, kind, at, mrr[account], after))
        mrr[account] = after
    r = retention(_events(rows), START, END)
    assert (r.accounts, r.start_mrr) == (6, 600)
    # NRR is the cohort's MRR at the end over its MRR at the start.
    assert abs(r.net_revenue_retention * 600 - sum(mrr.values())) < 1e-9
    assert 0 <= r.gross_revenue_retention <= 1 + 1e-12
    assert r.gross_revenue_retention <= r.net_revenue_retention + 1e-12
    assert 0 <= r.logo_churn <= 1
