"""The threshold sweep is monotone in what it counts, on random histories: as the threshold
rises, MQLs, MQLs reaching the outcome and their revenue never rise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.scoring.backtest import History, threshold_sweep

from .scoring_support import SCALE, make_model
from .test_backtest import _deals

START = datetime(2024, 1, 1, tzinfo=UTC)
END = START + timedelta(days=56)
MODEL = make_model(
    behaviour_rules=[
        {"id": "demo", "activity_type": "demo_request", "points": 40},
        {"id": "view", "activity_type": "page_view", "points": 10, "decay": {"half_life_days": 14}},
        {"id": "unsub", "activity_type": "email_unsubscribe", "points": -30},
    ],
    mql={"total": 50},
)
STAGES = ["sal", "sql", "opportunity", "customer"]


def moment(day: int) -> datetime:
    return START + timedelta(days=day, hours=9)


days = st.integers(-40, 70)


@st.composite
def histories(draw: Any) -> History:
    n = draw(st.integers(1, 8))
    accounts = [draw(st.one_of(st.none(), st.integers(1, 3))) for _ in range(n)]
    contacts = pl.DataFrame(
        {"contact_id": range(1, n + 1), "account_id": accounts},
        schema={"contact_id": pl.Int64, "account_id": pl.Int64},
    )
    ids = st.integers(1, n)
    kinds = st.sampled_from(["demo_request", "page_view", "email_unsubscribe"])
    acts = draw(st.lists(st.tuples(ids, kinds, days.map(moment)), max_size=25))
    moves = draw(st.lists(st.tuples(ids, st.sampled_from(STAGES), days.map(moment)), max_size=8))
    deals = []
    for i, (who, account, created, length, won, amount) in enumerate(
        draw(
            st.lists(
                st.tuples(
                    st.one_of(st.none(), ids),
                    st.one_of(st.none(), st.integers(1, 3)),
                    days,
                    st.one_of(st.none(), st.integers(0, 60)),
                    st.booleans(),
                    st.integers(0, 10_000).map(float),
                ),
                max_size=6,
            )
        )
    ):
        closed = None if length is None else moment(created + length)
        deals.append((i, who, account, moment(created), closed, won, amount))
    return History(
        contacts,
        pl.DataFrame(
            acts,
            schema={
                "contact_id": pl.Int64,
                "activity_type": pl.String,
                "occurred_at": pl.Datetime("us", "UTC"),
            },
            orient="row",
        ),
        pl.DataFrame(
            moves,
            schema={
                "contact_id": pl.Int64,
                "to_stage": pl.String,
                "occurred_at": pl.Datetime("us", "UTC"),
            },
            orient="row",
        ),
        _deals(deals),
    )


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.lists(st.integers(-40, 120), min_size=2, max_size=6, unique=True),
    st.sampled_from(["sql", "opportunity", "won"]),
)
def test_sweep_counts_never_rise_with_the_threshold(
    history: History, thresholds: list[int], outcome: Any
) -> None:
    sweep = threshold_sweep(
        MODEL,
        history,
        start=START,
        end=END,
        step=timedelta(days=7),
        thresholds=sorted(thresholds),
        outcome=outcome,
    )
    rows = sweep.table.to_dicts()
    for low, high in zip(rows, rows[1:], strict=False):
        assert high["mqls"] <= low["mqls"]
        assert high["positives"] <= low["positives"]
        assert high["revenue"] <= low["revenue"]
    assert all(0 <= r["recall"] <= 1 and r["positives"] <= r["mqls"] for r in rows)
