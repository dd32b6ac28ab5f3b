"""Backtest and threshold sweep on a small hand-checked history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from tandem.scoring.backtest import (
    History,
    backtest,
    evaluate_as_of,
    grid_dates,
    threshold_sweep,
)
from tandem.scoring.backtest_report import (
    BacktestReport,
    Capacity,
    lift_warnings,
    model_report,
)
from tandem.scoring.cli_store import render

from .scoring_support import make_model


def day(d: int, month: int = 1) -> datetime:
    return datetime(2024, month, d, 9, tzinfo=UTC)


MODEL = make_model(
    behaviour_rules=[
        {"id": "demo", "activity_type": "demo_request", "points": 50},
        {"id": "view", "activity_type": "page_view", "points": 10},
    ],
    mql={"total": 50},
)
START, END, STEP = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 29, tzinfo=UTC), 7

ACTIVITIES = [
    (1, "demo_request", day(20, 12).replace(year=2023)),  # MQL before the period
    (2, "demo_request", day(3)),  # MQL at Jan 8
    *[(3, "page_view", day(d)) for d in range(10, 15)],  # 5 x 10 -> MQL at Jan 15
    (4, "page_view", day(2)),
    (4, "page_view", day(3)),  # 20 points: never an MQL at 50
    (5, "demo_request", day(27)),  # MQL at Jan 29
    (6, "demo_request", day(16)),  # MQL at Jan 22
]


@pytest.fixture()
def history() -> History:
    contacts = pl.DataFrame(
        {"contact_id": [1, 2, 3, 4, 5, 6, 7], "account_id": [None, None, None, None, None, 9, 9]}
    )
    activities = pl.DataFrame(
        ACTIVITIES, schema=["contact_id", "activity_type", "occurred_at"], orient="row"
    )
    transitions = pl.DataFrame(
        [(2, "sql", day(5)), (3, "sql", day(20)), (4, "customer", day(25))],
        schema=["contact_id", "to_stage", "occurred_at"],
        orient="row",
    )
    opportunities = pl.DataFrame(
        [
            ("o1", 2, None, day(10), True, 1000.0),
            ("o2", 4, None, day(24), True, 500.0),
            ("o3", None, 9, day(23), True, 2000.0),  # account-level: links to contacts 6 and 7
            ("o4", 3, None, day(1).replace(year=2023), True, 9999.0),  # before: not counted
        ],
        schema={
            "opportunity_id": pl.String,
            "contact_id": pl.Int64,
            "account_id": pl.Int64,
            "created_at": pl.Datetime("us", "UTC"),
            "won": pl.Boolean,
            "amount": pl.Float64,
        },
        orient="row",
    )
    return History(contacts, activities, transitions, opportunities)


def test_grid_dates_include_both_ends() -> None:
    dates = grid_dates(START, END + timedelta(days=1), timedelta(days=7))
    assert dates[0] == START and dates[-1] == END + timedelta(days=1) and len(dates) == 6


def test_backtest_over_a_period(history: History) -> None:
    result = backtest(MODEL, history, start=START, end=END, step=timedelta(days=STEP))
    assert sorted(result.contacts["contact_id"]) == [2, 3, 5, 6]
    assert (result.mqls, result.sqls, result.opportunities, result.won) == (4, 3, 2, 2)
    assert result.revenue == 3000.0
    assert result.win_rate == 0.5


def test_evaluate_as_of_one_date(history: History) -> None:
    result = evaluate_as_of(MODEL, history, as_of=day(15))
    assert sorted(result.contacts["contact_id"]) == [1, 2, 3]
    assert (result.mqls, result.sqls, result.won, result.revenue) == (3, 1, 0, 0.0)


def test_threshold_sweep_finds_the_goldilocks_threshold(history: History) -> None:
    sweep = threshold_sweep(
        MODEL, history, start=START, end=END, step=timedelta(days=STEP), thresholds=[10, 50, 60]
    )
    rows = {r["threshold"]: r for r in sweep.table.iter_rows(named=True)}
    # positives: contacts 2, 4, 6 and 7 (7 shares account 9's won opportunity with 6).
    # Contact 1 meets the rule from the start: counted by the sweep (with no outcome), which
    # keeps the counts monotone, though `backtest` leaves it out as an MQL from before.
    assert (rows[10]["mqls"], rows[10]["positives"], rows[10]["recall"]) == (6, 3, 0.75)
    assert rows[10]["f_beta"] == pytest.approx(2 * 0.5 * 0.75 / 1.25)
    assert (rows[50]["mqls"], rows[50]["positives"]) == (5, 2)
    assert rows[50]["revenue_share"] == pytest.approx(3000 / 3500)
    assert rows[60]["mqls"] == 0
    assert sweep.recommended == 10.0
    capped = threshold_sweep(
        MODEL,
        history,
        start=START,
        end=END,
        step=timedelta(days=STEP),
        thresholds=[10, 50, 60],
        max_mqls=5,
    )
    assert capped.recommended == 50.0 and "at most 5 MQLs" in capped.criterion


def test_default_thresholds_span_the_scores(history: History) -> None:
    sweep = threshold_sweep(MODEL, history, start=START, end=END, step=timedelta(days=STEP))
    assert sweep.table["threshold"].min() == 0 and sweep.table["threshold"].max() == 50
    # At 0 every contact is an MQL from the start (before the fix: none, as all were skipped).
    first = sweep.table.row(0, named=True)
    assert (first["mqls"], first["recall"], first["lift"]) == (7, 1.0, 1.0)


def _deals(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "opportunity_id": pl.Int64,
            "contact_id": pl.Int64,
            "account_id": pl.Int64,
            "created_at": pl.Datetime("us", "UTC"),
            "closed_at": pl.Datetime("us", "UTC"),
            "won": pl.Boolean,
            "amount": pl.Float64,
        },
        orient="row",
    )


def test_won_counts_by_close_date_and_months_show_its_revenue() -> None:
    """Contact 1's deal was opened before it crossed and won after: won, with its revenue in
    its month (before the fix the month showed won 1, revenue 0). Contact 2 became a customer
    after crossing, but through a deal closed before: not won by this MQL. Contact 3 has no
    deal, only a move to customer: won, without revenue."""
    contacts = pl.DataFrame({"contact_id": [1, 2, 3], "account_id": [None, None, None]}).cast(
        {"account_id": pl.Int64}
    )
    activities = pl.DataFrame(
        [(1, "demo_request", day(3)), (2, "demo_request", day(10)), (3, "demo_request", day(17))],
        schema=["contact_id", "activity_type", "occurred_at"],
        orient="row",
    )
    transitions = pl.DataFrame(
        [(1, "customer", day(5, 2)), (2, "customer", day(20)), (3, "customer", day(25))],
        schema=["contact_id", "to_stage", "occurred_at"],
        orient="row",
    )
    deals = _deals(
        [
            (10, 1, None, day(2, 12).replace(year=2023), day(5, 2), True, 700.0),
            (11, 2, None, day(2), day(4), True, 900.0),
        ]
    )
    history = History(contacts, activities, transitions, deals)
    end = datetime(2024, 2, 26, tzinfo=UTC)
    report = model_report(
        "m", MODEL, history, start=START, end=end, step=timedelta(days=7), outcome="won",
        capacity=None,
    )  # fmt: skip
    assert (report.mqls, report.won, report.revenue) == (3, 2, 700.0)
    months = {m.month: (m.mqls, m.won, m.revenue) for m in report.months}
    assert months == {"2024-01": (3, 2, 700.0)}
    assert sum(m.revenue for m in report.months) == report.revenue


def test_a_deal_shared_by_two_months_counts_once(history: History) -> None:
    # o3 (2,000) is account 9's, won on Feb 10: contact 6 crossed in January; add contact 7
    # crossing in February. The months add up to the total instead of counting o3 twice.
    deals = pl.DataFrame(history.opportunities).with_columns(
        pl.when(pl.col("opportunity_id") == "o3")
        .then(pl.lit(day(10, 2)))
        .otherwise(pl.col("created_at"))
        .alias("closed_at")
    )
    later = History(
        history.contacts,
        pl.concat(
            [
                pl.DataFrame(history.activities),
                pl.DataFrame(
                    [(7, "demo_request", day(1, 2))],
                    schema=["contact_id", "activity_type", "occurred_at"],
                    orient="row",
                ),
            ]
        ),
        history.transitions,
        deals,
    )
    report = model_report(
        "m", MODEL, later, start=START, end=datetime(2024, 2, 12, tzinfo=UTC),
        step=timedelta(days=7), outcome="won", capacity=None,
    )  # fmt: skip
    months = {m.month: (m.mqls, m.won, m.revenue) for m in report.months}
    assert months == {"2024-01": (4, 2, 3000.0), "2024-02": (1, 1, 0.0)}
    assert sum(m.revenue for m in report.months) == report.revenue == 3000.0


def test_a_recommended_threshold_with_lift_under_one_is_warned(history: History) -> None:
    # Base rate 4/7 (57%); at 10 the MQLs convert 3/6 (lift 0.88), at 50 2/5 (lift 0.70).
    report = model_report(
        "m", MODEL, history, start=START, end=END, step=timedelta(days=STEP), outcome="won",
        capacity=Capacity(5, 1, 1), thresholds=[10, 50, 60],
    )  # fmt: skip
    assert (report.f1_threshold, report.capacity_threshold) == (10.0, 50.0)
    assert len(report.warnings) == 2
    assert report.warnings[0].startswith("the F1-best threshold 10 has lift 0.88")
    assert report.warnings[1].startswith("the within-capacity threshold 50 has lift 0.70")
    whole = BacktestReport(START, END, STEP, "won", Capacity(5, 1, 1), [report])
    assert json.loads(render(whole, "json"))["models"][0]["warnings"] == report.warnings
    assert f"WARNING: {report.warnings[1]}" in render(whole, "text")
    page = render(whole, "html")
    assert page.count('class="error lift-warning"') == 2 and "has lift 0.70" in page
    good = lift_warnings(
        [{"threshold": 10.0, "lift": 1.2, "precision": 0.5}], {"F1": 10.0}, "won", 0.4
    )
    assert good == []
