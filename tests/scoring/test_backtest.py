"""Backtest and threshold sweep on a small hand-checked history."""

from __future__ import annotations

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
    # positives: contacts 2, 4, 6 and 7 (7 shares account 9's won opportunity with 6)
    assert (rows[10]["mqls"], rows[10]["positives"], rows[10]["recall"]) == (5, 3, 0.75)
    assert rows[10]["f_beta"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert (rows[50]["mqls"], rows[50]["positives"]) == (4, 2)
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
        max_mqls=4,
    )
    assert capped.recommended == 50.0 and "at most 4 MQLs" in capped.criterion


def test_default_thresholds_span_the_scores(history: History) -> None:
    sweep = threshold_sweep(MODEL, history, start=START, end=END, step=timedelta(days=STEP))
    assert sweep.table["threshold"].min() == 0 and sweep.table["threshold"].max() == 50
