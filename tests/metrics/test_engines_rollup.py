"""The account engagement roll-up written once as SQL (`tandem.engines.rollup_sql`) gives, on
DuckDB and on a real local Spark, the frame the Polars roll-up gives, and so the same account
scores (`tandem.accounts.rescore.score_frame` over it)."""

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tandem.accounts import rescore, score_check
from tandem.accounts.definitions import default_text
from tandem.accounts.loading import load
from tandem.accounts.score_model import AccountScoreModel
from tandem.engines.rollup_sql import rollup
from tandem.metrics.engine import Engine
from tandem.scoring.engine import epoch_us

pytestmark = pytest.mark.spark

NOW = epoch_us(datetime(2026, 6, 1, tzinfo=UTC))
DAY = 86_400_000_000
MODEL = load(AccountScoreModel, default_text("account_score"), "default.yaml", *score_check.CHECKS)
TYPES = ["page_view", "email_click", "content_download", "meeting", "webinar_attend", "not_weighed"]
ROLES = ["decision_maker", "economic_buyer", "champion", "technical_evaluator", "unknown", None]


def _data(n: int, m: int, seed: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    contacts = pl.DataFrame(
        {
            "contact_id": np.arange(1, n + 1),
            # A contact without an account is left out of every roll-up.
            "account_id": pl.Series(rng.integers(0, n // 8, n)).replace(0, None),
            "role": [ROLES[i] for i in rng.integers(0, len(ROLES), n)],
        }
    )
    activities = pl.DataFrame(
        {
            "contact_id": rng.integers(1, n + 1, m),
            "type": [TYPES[i] for i in rng.integers(0, len(TYPES), m)],
            # Some in the future, some outside the window: neither counts.
            "t": NOW - rng.integers(-5 * DAY, 120 * DAY, m),
        }
    )
    return contacts, activities


def test_the_sql_roll_up_equals_the_polars_roll_up_on_duckdb_and_spark(spark):
    from tandem.engines.spark import SparkEngine

    contacts, activities = _data(1_500, 30_000)
    expected = rescore.rollup_frame(MODEL, contacts.lazy(), activities.lazy(), NOW)
    expected = expected.sort("account_id")
    assert expected["people"].max() > 3 and expected["roles"].list.len().max() >= 3
    accounts = pl.DataFrame({"account_id": expected["account_id"]})
    scores = rescore.score_frame(MODEL, accounts.lazy(), expected, None, NOW)
    for build in (Engine, lambda relations: SparkEngine(relations, spark)):
        got = rollup(build, MODEL, contacts, activities, NOW).sort("account_id")
        assert sorted(got.columns) == sorted(expected.columns)
        assert_frame_equal(got, expected.select(got.columns))
        again = rescore.score_frame(MODEL, accounts.lazy(), got, None, NOW)
        assert_frame_equal(again.select(scores.columns), scores)
