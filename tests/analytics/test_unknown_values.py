"""A deal's unknown amount or creation date (null) is left out of the figures, never counted as
0 or as the import time, and the figures say how many deals they leave out."""

from datetime import timedelta

import pytest

from tandem.analytics import deal_tables, ltv, pipeline, velocity
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window
from tests.analytics.frames_support import T, facts

D = timedelta(days=1)
START, END, AS_OF = T - 365 * D, T + 365 * D, T + 365 * D


def _types(workspace):
    """The deal-type table the pipeline page and the weekly review show (the registry's)."""
    return deal_tables.deal_types(
        engine_for(workspace), Window(START.date(), END.date(), AS_OF), {}
    )


def _won(**kw):
    return {"is_closed": True, "is_won": True, "stage": "closed_won", **kw}


def test_average_won_deal_divides_by_the_deals_of_known_amount():
    workspace = facts(
        [],
        [],
        [
            _won(amount=100.0, closed_at=T + D, account_id=1),
            _won(amount=300.0, closed_at=T + 2 * D, account_id=2),
            _won(amount=None, closed_at=T + 3 * D, account_id=3),
            _won(amount=None, closed_at=T + 4 * D, account_id=4),
        ],
    )
    deals = workspace.opportunities
    new = next(t for t in _types(workspace) if t.deal_type == "new")
    # Counted as 0 the unknowns would give 100; left out, the average is 200.
    assert (new.won, new.won_amount, new.average_won, new.unknown_amount) == (4, 400, 200, 2)
    month = pipeline.bookings_by_month(deals, START, END)
    assert [(m.deals, m.amount, m.unknown_amount) for m in month] == [(4, 400, 2)]


def test_sales_cycle_leaves_out_deals_of_unknown_creation_and_counts_them():
    deals = facts(
        [],
        [],
        [
            _won(created_at=T, closed_at=T + 10 * D),
            _won(created_at=T, closed_at=T + 30 * D),
            _won(created_at=None, closed_at=T + 20 * D),
        ],
    ).opportunities
    row = next(
        r
        for r in velocity.sales_cycle(deals, START, END, AS_OF)
        if (r.deal_type, r.outcome) == ("all", "won")
    )
    assert (row.count, row.median_days, row.unknown) == (2, pytest.approx(20), 1)


def test_open_pipeline_keeps_open_deals_of_unknown_creation_and_counts_unknown_amounts():
    workspace = facts(
        [],
        [],
        [
            {"stage": "discovery", "amount": 50.0, "created_at": None},
            {"stage": "discovery", "amount": None, "created_at": T},
            {"stage": "proposal", "amount": 70.0, "created_at": T + 400 * D},  # after as_of
        ],
    )
    deals = workspace.opportunities
    stages = pipeline.open_by_stage(pipeline.open_at(deals, AS_OF - D))
    assert [(s.stage, s.deals, s.amount, s.unknown_amount) for s in stages] == [
        ("discovery", 2, 50, 1)
    ]
    # "Created in the range" never counts a deal whose creation date is unknown.
    assert _types(workspace)[0].created == 1


def test_ltv_revenue_per_account_reads_known_amounts_only():
    deals = facts(
        [],
        [],
        [
            _won(amount=1000.0, closed_at=T, account_id=1, segment="smb"),
            _won(amount=3000.0, closed_at=T, account_id=2, segment="smb"),
            _won(amount=None, closed_at=T, account_id=3, segment="smb"),
            _won(amount=None, closed_at=T, account_id=4, segment="mid_market"),
        ],
    ).opportunities
    rows = {r.segment: r for r in ltv.ltv_by_segment(deals, AS_OF)}
    assert (rows["smb"].customers, rows["smb"].revenue_per_account) == (2, 2000)
    assert rows["smb"].unknown_amount == 1
    assert rows["mid_market"].note == "no customer won at a known amount"
