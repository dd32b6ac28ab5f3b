"""Attribution written once as SQL (`tandem.engines.attribution_sql`) gives, on DuckDB and on a
real local Spark, the credits of the in-process engine to the cent, per deal, touch and model;
content influence too.

The deals and touch candidates are generated with the awkward cases in them: touches tied in
time, touches just outside either end of the window, deals with no touch, no MQL, an MQL before
any touch, lost deals (they only teach Markov and Shapley), a zero amount, and amounts that do
not split evenly.
"""

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tandem.attribution import attribute, batch_from_frames, select_touchpoints_frame
from tandem.attribution.config import AttributionConfig, default_config
from tandem.content.influence import influence, touches
from tandem.engines.attribution import attribute_on, attribute_touches_on, paths_of
from tandem.metrics.engine import Engine

START = datetime(2025, 1, 1, tzinfo=UTC)
CHANNELS = ("email", "paid_search", "webinar", "events", "organic", "direct")
TS = pl.Datetime("us", "UTC")


def generate(seed: int, deals: int = 60, touches: int = 900) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(deals, candidates) shaped as `run_attribution` builds them, won revenue basis."""
    rng = np.random.default_rng(seed)
    created = START + np.array([timedelta(days=int(d)) for d in rng.integers(0, 400, deals)])
    closed = [
        c + timedelta(days=int(d)) for c, d in zip(created, rng.integers(1, 90, deals), strict=True)
    ]
    mql = [
        None if rng.random() < 0.3 else c - timedelta(days=int(d), hours=int(h))
        for c, d, h in zip(
            created, rng.integers(-5, 200, deals), rng.integers(0, 24, deals), strict=True
        )
    ]
    amounts = rng.choice([0, 1, 99, 100_001, 3_333_333, 123_456_789], deals)
    won = rng.random(deals) < 0.6
    deal_frame = pl.DataFrame(
        {
            "opportunity_id": np.arange(1, deals + 1, dtype=np.int64),
            "amount_cents": amounts.astype(np.int64),
            "created_at": list(created),
            "closed_at": closed,
            "mql_at": mql,
            "converted": won,
        },
        schema_overrides={"created_at": TS, "closed_at": TS, "mql_at": TS},
    ).with_columns(pl.col("closed_at").alias("as_of"))
    owner = rng.integers(1, deals - 4, touches)  # the last five deals have no candidate
    # Offsets around the window: -200..+100 days of the deal's creation, on a coarse grid of
    # hours so several touches of one deal fall on the same moment.
    offset = rng.integers(-200 * 4, 100 * 4, touches) * 6
    base = [created[o - 1] for o in owner]
    moments = [b + timedelta(hours=int(h)) for b, h in zip(base, offset, strict=True)]
    candidates = pl.DataFrame(
        {
            "opportunity_id": owner.astype(np.int64),
            "activity_id": rng.permutation(touches).astype(np.int64) + 1,
            "contact_id": rng.integers(1, 50, touches).astype(np.int64),
            "occurred_at": moments,
            "type": rng.choice(["email_click", "form_submit", "meeting"], touches),
            "channel": rng.choice(CHANNELS, touches),
            "campaign_id": pl.Series(rng.integers(1, 8, touches)).cast(pl.Int64),
            "asset_id": pl.Series(rng.integers(1, 5, touches)).cast(pl.Int64),
            "source": rng.choice(["ads", "referral", "event"], touches),
            "team": rng.choice(["marketing", "sales", "product"], touches),
        },
        schema_overrides={"occurred_at": TS},
    ).with_columns(
        pl.when(pl.col("activity_id") % 5 == 0)
        .then(None)
        .otherwise("campaign_id")
        .alias("campaign_id")
    )
    return deal_frame, candidates


def in_process(deals: pl.DataFrame, candidates: pl.DataFrame, config: AttributionConfig):
    """What `run_attribution` computes from the same frames."""
    window = config.window
    touches = select_touchpoints_frame(
        candidates,
        deals.select("opportunity_id", "created_at", "closed_at", "mql_at"),
        lookback_days=window.lookback_days,
        until_close=window.until_close,
    )
    batch = batch_from_frames(
        deals.select("opportunity_id", "amount_cents", "converted", "as_of"), touches
    )
    return touches, batch, attribute(batch, config=config)


def config_with(**changes: object) -> AttributionConfig:
    """The default configuration with a custom model and `changes` to the window."""
    data = default_config().model_dump()
    data["window"].update(changes)
    data["custom_models"] = {"tail_heavy": {"position:-2": 50, "last": 30, "rest": 20}}
    return AttributionConfig.model_validate(data)


def check(build, seed: int, config: AttributionConfig) -> None:
    deals, candidates = generate(seed)
    touches, batch, expected = in_process(deals, candidates, config)
    run = attribute_on(build, deals, candidates, config=config)
    assert run.result.models == expected.models
    assert_frame_equal(run.result.credits, expected.credits, check_dtypes=True)
    assert run.result.unattributed_cents == expected.unattributed_cents
    # Per deal and model the credits make the amount exactly.
    sums = run.result.credits.group_by("opportunity_id").agg(pl.col(expected.models).sum())
    amounts = sums.join(deals, on="opportunity_id")
    for model in expected.models:
        assert (amounts[model] == amounts["amount_cents"]).all(), model
    assert_frame_equal(
        run.touches.select(touches.columns), touches, check_dtypes=False, check_row_order=True
    )
    # The aggregated paths are the in-process journeys' paths, counted.
    mine = paths_of(run.paths)
    theirs = batch.to_paths()
    assert mine.channels == theirs.channels
    assert _counted(mine) == _counted(theirs)


def _counted(paths) -> dict[tuple[str, ...], tuple[float, float, float]]:
    counts: dict[tuple[str, ...], list[float]] = {}
    for i in range(len(paths.offsets) - 1):
        codes = paths.codes[paths.offsets[i] : paths.offsets[i + 1]]
        if not len(codes):
            continue
        key = tuple(paths.channels[c] for c in codes)
        row = counts.setdefault(key, [0.0, 0.0, 0.0])
        row[0] += paths.conversions[i]
        row[1] += paths.nulls[i]
        row[2] += round(paths.value[i] * 100)
    return {k: tuple(v) for k, v in counts.items()}


@pytest.mark.parametrize("until_close", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_duckdb_credits_equal_in_process(seed: int, until_close: bool) -> None:
    check(Engine, seed, config_with(until_close=until_close, lookback_days=90))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), lookback=st.integers(1, 250), half_life=st.floats(0.5, 60))
def test_duckdb_credits_equal_for_any_window(seed: int, lookback: int, half_life: float) -> None:
    config = config_with(lookback_days=lookback)
    config = config.model_copy(
        update={"time_decay": config.time_decay.model_copy(update={"half_life_days": half_life})}
    )
    check(Engine, seed, config)


@pytest.mark.spark
@pytest.mark.parametrize("until_close", [False, True])
def test_spark_credits_equal_in_process(spark, until_close: bool) -> None:
    from tandem.engines.spark import SparkEngine

    check(
        lambda relations: SparkEngine(relations, spark),
        3,
        config_with(until_close=until_close, lookback_days=120),
    )


def check_influence(build, seed: int) -> None:
    """Content influence credits the same cents in process and on the engine."""
    deals, candidates = generate(seed)
    deals = deals.with_columns(
        pl.col("converted").alias("is_won"),
        pl.when(pl.col("opportunity_id") % 7 == 0)
        .then(None)
        .otherwise(pl.col("amount_cents"))
        .alias("amount_cents"),
    )
    members = candidates.select("opportunity_id", "contact_id").unique()
    consumption = candidates.select("activity_id", "contact_id", "asset_id", "occurred_at")
    touched = touches(consumption, members, deals)
    config = config_with()

    def credit(journeys, touches, models):
        return attribute_touches_on(build, journeys, touches, config=config, models=models)

    expected = influence(deals, touched, config=config)
    got = influence(deals, touched, config=config, credit=credit)
    assert expected.credits.height > 100 and "markov" in expected.models
    order = ["opportunity_id", "activity_id", "asset_id"]
    assert_frame_equal(got.credits.sort(order), expected.credits.sort(order))
    assert_frame_equal(got.by_asset, expected.by_asset)
    assert got.unknown_amount == expected.unknown_amount > 0


def test_duckdb_content_influence_equal_in_process() -> None:
    check_influence(Engine, 4)


@pytest.mark.spark
def test_spark_content_influence_equal_in_process(spark) -> None:
    from tandem.engines.spark import SparkEngine

    check_influence(lambda relations: SparkEngine(relations, spark), 5)
