"""The scoring backtest's replay written once as SQL (`tandem.engines.backtest_sql`: the full
rescore bounded at each cut-off date) gives, on DuckDB and on a real local Spark, the grid of
scores the Polars `score_grid` gives, and so the same backtest and threshold sweep (MQLs,
outcomes, precision, recall, lift, revenue)."""

from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from polars.testing import assert_frame_equal

from tandem.engines.backtest_sql import chosen_replay, grid
from tandem.metrics import engine as metrics_engine
from tandem.metrics.engine import Engine
from tandem.scoring.backtest import (
    History,
    Replay,
    backtest,
    grid_dates,
    replay,
    sweep_floor,
    threshold_sweep,
)
from tandem.scoring.grid import score_grid
from tandem.settings import load_settings
from tests.metrics.test_engines_rescore import AS_OF, MODEL, _data
from tests.scoring import test_sweep_properties as random_history

STEP = timedelta(days=7)
START = AS_OF - timedelta(days=70)
KEY = ["k", "contact_id"]
STAGES = ["sal", "sql", "opportunity", "customer"]


def _history(n: int, m: int) -> History:
    contacts, acts = _data(n, m)
    rng = np.random.default_rng(9)
    at = pl.Series([START + timedelta(days=int(d)) for d in rng.integers(-20, 120, n // 2)]).cast(
        pl.Datetime("us", "UTC")
    )
    moves = pl.DataFrame(
        {
            "contact_id": rng.integers(1, n + 1, n // 2),
            "to_stage": [
                ["sal", "sql", "opportunity", "customer"][i] for i in rng.integers(0, 4, n // 2)
            ],
            "occurred_at": at,
        }
    )
    deals = pl.DataFrame(
        {
            "opportunity_id": np.arange(n // 4),
            "contact_id": rng.integers(1, n + 1, n // 4),
            "created_at": at[: n // 4],
            "won": rng.random(n // 4) < 0.5,
            "amount": rng.integers(100, 10_000, n // 4).astype(float),
        }
    )
    return History(contacts, acts, moves, deals)


def _reports_equal(history: History, model: Any, on: Replay, start, end) -> None:
    """The backtest and the sweep read from `on` equal those the Polars replay gives."""
    floor = sweep_floor(model, "total")
    expected = replay(model, history, start=start, end=end, step=STEP, floor=floor)
    assert_frame_equal(on.grid.sort(KEY), expected.grid.sort(KEY))
    assert on.dates == expected.dates
    want = backtest(model, history, start=start, end=end, replayed=expected)
    got = backtest(model, history, start=start, end=end, replayed=on)
    assert_frame_equal(got.contacts.sort("contact_id"), want.contacts.sort("contact_id"))
    assert (got.mqls, got.sqls, got.won, got.revenue) == (
        want.mqls,
        want.sqls,
        want.won,
        want.revenue,
    )
    kw = {"start": start, "end": end, "outcome": "won"}
    wanted = threshold_sweep(model, history, replayed=expected, **kw)
    found = threshold_sweep(model, history, replayed=on, **kw)
    assert_frame_equal(found.table, wanted.table)
    assert found.recommended == wanted.recommended


def _on(build, model, history, start, end) -> Replay:
    dates = grid_dates(start, end, STEP)
    return Replay(dates, grid(build, model, history, dates, floor=sweep_floor(model, "total")))


def test_the_sql_grid_equals_the_polars_grid_on_duckdb():
    history = _history(400, 20_000)
    dates = [AS_OF - timedelta(days=d) for d in (60, 30, 7, 0)]
    for floor in (None, MODEL.mql):
        expected = score_grid(MODEL, history.contacts, history.activities, dates, floor=floor)
        got = grid(Engine, MODEL, history, dates, floor=floor)
        assert_frame_equal(got.sort(KEY), expected.sort(KEY))
    assert expected["k"].n_unique() == 4 and got.height < 4 * 400  # the floor left some out
    _reports_equal(history, MODEL, _on(Engine, MODEL, history, START, AS_OF), START, AS_OF)


@pytest.mark.spark
def test_the_sql_backtest_equals_the_polars_backtest_on_spark(spark):
    # Two cut-off dates: each is a full rescore in the one statement, and Spark plans each.
    history, start = _history(150, 4_000), AS_OF - STEP
    floor = sweep_floor(MODEL, "total")
    metrics_engine.use(load_settings(analytics_engine="spark"))
    try:  # as the backtest report replays when the process runs its analytics on Spark
        on = chosen_replay(MODEL, history, start=start, end=AS_OF, step=STEP, floor=floor)
    finally:
        metrics_engine.use(load_settings())
    assert on.grid["k"].n_unique() == 2
    _reports_equal(history, MODEL, on, start, AS_OF)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_history.histories())
def test_any_history_backtests_the_same_in_sql_and_in_polars(history: History) -> None:
    start, end, model = random_history.START, random_history.END, random_history.MODEL
    _reports_equal(history, model, _on(Engine, model, history, start, end), start, end)
