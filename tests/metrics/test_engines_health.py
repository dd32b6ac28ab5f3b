"""Customer health written once as SQL (`tandem.engines.health_sql`) gives, on DuckDB and on a
real local Spark, the scores, bands, parts and inputs the Polars `tandem.usage.compute.score`
gives."""

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tandem.engines.health_sql import health
from tandem.metrics.engine import Engine
from tandem.usage import compute, demo
from tandem.usage.definitions import default_model

AS_OF = date(2026, 6, 28)
MODEL = default_model()
SEGMENTS = ["smb", "enterprise", "mid_market", None]


def _world(n: int, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """usage (wide, some values unreported), entitlements, accounts of `n` demo customers."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    made = demo.generate(
        pl.DataFrame({"account_id": ids, "employees": rng.integers(20, 2000, n)}), AS_OF, seed
    )
    long = made.usage.filter(pl.Series(rng.random(made.usage.height) > 0.05))
    usage = long.pivot(on="metric", index=["account_id", "period_start"], values="value").rename(
        {"period_start": "day"}
    )
    accounts = pl.DataFrame(
        {
            "account_id": ids,
            "segment": [SEGMENTS[i] for i in rng.integers(0, len(SEGMENTS), n)],
            "engagement": rng.integers(0, 8, n).astype(float),
        }
    )
    return usage, made.entitlements, accounts


def _equal(got: compute.Health, expected: compute.Health) -> None:
    assert_frame_equal(got.scores, expected.scores)
    assert_frame_equal(got.parts, expected.parts.sort("account_id", "component"))
    # Inputs: the window sums may be added in another order (last bits); the means are rounded.
    want = expected.values.sort("account_id")
    assert got.values.columns == want.columns
    assert_frame_equal(got.values, want, check_exact=False, rel_tol=1e-12)


def _cases(n: int):
    usage, limits, accounts = _world(n)
    for as_of, people in (
        (AS_OF, accounts),
        (AS_OF - timedelta(days=200), accounts.drop("engagement")),  # engagement unknown
    ):
        yield usage, limits, people, as_of


def test_the_sql_health_equals_the_polars_health_on_duckdb():
    for usage, limits, accounts, as_of in _cases(120):
        expected = compute.score(
            usage=usage, limits=limits, accounts=accounts, model=MODEL, as_of=as_of
        )
        bands = expected.scores["band"].value_counts()
        assert bands.height == 3 and expected.scores["scorecard"].n_unique() == 2
        got = health(
            Engine, usage=usage, limits=limits, accounts=accounts, model=MODEL, as_of=as_of
        )
        _equal(got, expected)


@pytest.mark.spark
def test_the_sql_health_equals_the_polars_health_on_spark(spark):
    from tandem.engines.spark import SparkEngine

    usage, limits, accounts, as_of = next(_cases(60))
    expected = compute.score(
        usage=usage, limits=limits, accounts=accounts, model=MODEL, as_of=as_of
    )
    got = health(
        lambda relations: SparkEngine(relations, spark),
        usage=usage, limits=limits, accounts=accounts, model=MODEL, as_of=as_of,
    )  # fmt: skip
    _equal(got, expected)


@settings(max_examples=25, deadline=None)
@given(
    active=st.lists(st.sampled_from([None, 0.0, 1.5, 3.0, 7.0, 12.25]), min_size=10, max_size=10),
    reports=st.lists(st.sampled_from([None, 0.0, 2.0]), min_size=10, max_size=10),
    seat_count=st.sampled_from([0, 1, 4, 10]),
    renewal=st.integers(-10, 200),
    segment=st.sampled_from(SEGMENTS),
    engagement=st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.0]),
)
def test_any_usage_scores_the_same_in_sql_and_in_polars(
    active, reports, seat_count, renewal, segment, engagement
):
    days = [AS_OF - timedelta(days=7 * k) for k in range(10)]
    usage = pl.DataFrame(
        {"account_id": [1] * 10 + [2] * 10, "day": days * 2,
         "active_users": active + active[::-1], "reports_run": reports + reports[::-1]},
        schema_overrides={"active_users": pl.Float64, "reports_run": pl.Float64},
    )  # fmt: skip
    limits = pl.DataFrame(
        {"account_id": [1], "metric": ["active_users"], "unit": ["seats"],
         "allowance": [float(seat_count)], "plan": ["pro"],
         "renewal_on": [AS_OF + timedelta(days=renewal)], "valid_from": [date(2025, 1, 1)],
         "valid_to": [None]},
        schema_overrides={"valid_to": pl.Date},
    )  # fmt: skip
    accounts = pl.DataFrame(
        {"account_id": [1, 2, 3], "segment": [segment, "enterprise", None],
         "engagement": [engagement, 2.0, 0.0]}
    )  # fmt: skip
    expected = compute.score(
        usage=usage, limits=limits, accounts=accounts, model=MODEL, as_of=AS_OF
    )
    got = health(Engine, usage=usage, limits=limits, accounts=accounts, model=MODEL, as_of=AS_OF)
    _equal(got, expected)
