"""Signals at their thresholds, the planted causes found by the backtest, and the health
inputs equal to a straightforward pandas computation."""

from datetime import date, timedelta

import pandas as pd
import polars as pl
import pytest

from tandem.usage import backtest, compute, signals
from tandem.usage.definitions import default_model
from tandem.usage.demo import generate

from .helpers import AS_OF, seats, weekly


def _signals(active_last: float, seat_count: float = 10, plan: str = "pro"):
    usage = weekly(1, {"active_users": [6.0] * 7 + [active_last], "reports_run": [5.0] * 8})
    limits = seats([(1, seat_count)], plan=plan)
    health = compute.score(
        usage=usage, limits=limits, accounts=pl.DataFrame({"account_id": [1], "segment": ["smb"]}),
        model=default_model(), as_of=AS_OF,
    )  # fmt: skip
    found = signals.detect(values=health.values, limits=limits, model=default_model(), as_of=AS_OF)
    return {s.rule: s for s in found}


@pytest.mark.parametrize(
    ("last", "rules"),
    [
        (7.9, set()),
        (8.0, {"limit_80:active_users"}),
        (9.5, {"limit_95:active_users"}),
        (10.0, {"limit_100:active_users", "seats_full"}),
        (13.0, {"limit_100:active_users", "seats_full"}),
    ],
)
def test_usage_at_80_95_100_percent_of_seats_raises_the_highest_level(last, rules):
    found = _signals(last)
    assert {r for r in found if r.startswith(("limit_", "seats"))} == rules
    if last > 10:  # more active users than seats: allowed, and flagged
        assert found["seats_full"].evidence["over_limit"] is True
        assert found["seats_full"].evidence["used"] == 13.0


def test_under_use_raises_churn_risks_with_their_evidence():
    usage = weekly(2, {"active_users": [8.0] * 4 + [1.0] * 4, "reports_run": [3.0] * 4 + [0.0] * 4})
    limits = seats([(2, 10)])
    health = compute.score(
        usage=usage, limits=limits, accounts=pl.DataFrame({"account_id": [2], "segment": ["smb"]}),
        model=default_model(), as_of=AS_OF,
    )  # fmt: skip
    found = {s.rule: s for s in signals.detect(
        values=health.values, limits=limits, model=default_model(), as_of=AS_OF)}  # fmt: skip
    assert set(found) == {"adoption_low", "trend_falling", "key_feature_unused:reports_run"}
    assert found["adoption_low"].evidence["adoption"] == 0.1
    assert found["trend_falling"].evidence["trend"] == -0.875
    assert found["adoption_low"].period == "2026-W26"
    assert health.scores["band"].to_list() == ["at_risk"]


def test_a_trial_account_using_the_product_like_a_customer_is_a_pql():
    model = default_model()
    usage = pl.concat([
        weekly(1, {"active_users": [4.0] * 8, "reports_run": [2.0] * 8, "api_calls": [9.0] * 8}),
        weekly(2, {"active_users": [4.0] * 8, "reports_run": [2.0] * 8, "api_calls": [0.0] * 8}),
        weekly(3, {"active_users": [2.0] * 8, "reports_run": [2.0] * 8, "api_calls": [9.0] * 8}),
    ])  # fmt: skip
    limits = pl.concat([seats([(1, 50), (2, 50), (3, 50)], plan="trial")])
    accounts = pl.DataFrame({"account_id": [1, 2, 3], "segment": ["smb"] * 3})
    health = compute.score(usage=usage, limits=limits, accounts=accounts, model=model, as_of=AS_OF)
    found = [s for s in signals.detect(values=health.values, limits=limits, model=model,
                                       as_of=AS_OF) if s.kind == "pql"]  # fmt: skip
    # Account 2 uses one key feature, account 3 has too few active users.
    assert [(s.account_id, s.evidence) for s in found] == [
        (1, {"plan": "trial", "active_users": 4.0, "features_used": 2})
    ]


@pytest.fixture(scope="module")
def planted():
    as_of = date(2026, 6, 30)
    accounts = pl.DataFrame(
        {"account_id": list(range(1, 401)), "employees": [100 + 7 * i for i in range(400)]}
    )
    made = generate(accounts, as_of, seed=3)
    usage = made.usage.pivot(on="metric", index=["account_id", "period_start"], values="value")
    usage = usage.rename({"period_start": "day"})
    return as_of, accounts.with_columns(segment=pl.lit("smb")), made, usage


def test_the_backtest_finds_the_planted_churn_causes(planted):
    as_of, accounts, made, usage = planted
    report = backtest.backtest(
        usage=usage, limits=made.entitlements, accounts=accounts, events=made.events,
        model=default_model(), months=backtest.month_ends(date(2025, 6, 1), as_of),
        thresholds=(50.0,), horizon_days=60,
    )  # fmt: skip
    (total,) = report.totals()
    churned = made.events.filter(pl.col("kind") == "churn").height
    assert churned > 30
    assert total.churned > 20
    assert total.recall >= 0.6
    assert total.lift >= 3
    # Every month's cells are counts of the same cohort.
    assert all(c.hits <= min(c.flagged, c.churned) for _, cs in report.months for c in cs)


def test_accounts_filling_their_seats_raise_expansion_signals_before_they_upgrade(planted):
    as_of, accounts, made, usage = planted
    soon = made.fates.filter(
        (pl.col("fate") == "expansion")
        & (pl.col("fate_on") > as_of)
        & (pl.col("fate_on") <= as_of + timedelta(days=21))
    )["account_id"]
    steady = made.fates.filter(pl.col("fate") == "steady")["account_id"]
    health = compute.score(
        usage=usage, limits=made.entitlements, accounts=accounts, model=default_model(), as_of=as_of
    )
    found = signals.detect(
        values=health.values, limits=made.entitlements, model=default_model(), as_of=as_of
    )
    expanding = {
        s.account_id for s in found if s.kind == "expansion" and s.rule.startswith("limit")
    }
    assert soon.len() >= 3
    assert len(expanding & set(soon)) / soon.len() >= 0.6
    assert len(expanding & set(steady)) / steady.len() <= 0.2


def test_health_inputs_equal_a_pandas_computation(planted):
    as_of, accounts, made, usage = planted
    model = default_model()
    values = compute.inputs(
        usage=usage, limits=made.entitlements, accounts=accounts, model=model, as_of=as_of
    ).sort("account_id")
    frame = usage.to_pandas()
    frame["day"] = pd.to_datetime(frame["day"])
    end = pd.Timestamp(as_of)
    recent = frame[(frame.day > end - pd.Timedelta(days=28)) & (frame.day <= end)]
    earlier = frame[
        (frame.day > end - pd.Timedelta(days=56)) & (frame.day <= end - pd.Timedelta(days=28))
    ]
    n_recent = recent.loc[recent.active_users.notna(), "day"].nunique()
    n_earlier = earlier.loc[earlier.active_users.notna(), "day"].nunique()
    mean = recent.groupby("account_id").active_users.sum() / n_recent
    before = earlier.groupby("account_id").active_users.sum() / n_earlier
    ours = values.to_pandas().set_index("account_id")
    both = mean.index.intersection(ours.index)
    assert len(both) > 300
    pd.testing.assert_series_equal(
        ours.loc[both, "mean:active_users"], mean.loc[both], check_names=False
    )
    common = before.index.intersection(ours.index)
    pd.testing.assert_series_equal(
        ours.loc[common, "before:active_users"], before.loc[common], check_names=False
    )
