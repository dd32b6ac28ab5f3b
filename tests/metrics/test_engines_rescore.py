"""The full lead rescore written once as SQL (`tandem.engines.rescore_sql`) gives, on DuckDB
and on a real local Spark, exactly the scores and parts of the Polars rescore Tandem stores.

The model uses every kind of rule (equals on text, numbers and booleans, in, ranges over a
float column holding NaN, a regex with a backslash, exists and absent, behaviour filters on
channel, campaign, asset stage, URL and properties, half-lives, windows, caps, daily caps and
negative points); the contacts and activities are generated with those cases in them.
"""

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tandem.engines import rescore as portable
from tandem.metrics.engine import Engine
from tandem.scoring.model import ScoringModel
from tandem.scoring.rescore import rescore as polars_rescore

pytestmark = pytest.mark.spark

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
US_PER_DAY = 86_400_000_000

MODEL = ScoringModel.model_validate(
    {
        "name": "portable",
        "version": 1,
        "fit_rules": [
            {
                "id": "senior",
                "field": "contact.job_level",
                "op": "in",
                "values": ["vp", "C_Level"],
                "points": 10,
            },
            {
                "id": "target",
                "field": "account.is_target",
                "op": "equals",
                "value": True,
                "points": 15,
            },
            {"id": "budget", "field": "contact.budget", "op": "range", "min": 10000, "points": 7.5},
            {"id": "tiny", "field": "account.employees", "op": "range", "max": 20, "points": -10},
            {
                "id": "exact",
                "field": "account.employees",
                "op": "equals",
                "value": 500,
                "points": 2,
            },
            {
                "id": "student",
                "field": "contact.title",
                "op": "regex",
                "pattern": "\\b(student|intern)\\b",
                "points": -20,
            },
            {"id": "phone", "field": "contact.phone", "op": "exists", "points": 1.25},
            {
                "id": "no_phone",
                "field": "contact.phone",
                "op": "exists",
                "present": False,
                "points": -1,
            },
            {
                "id": "missing",
                "field": "contact.not_there",
                "op": "equals",
                "value": "x",
                "points": 99,
            },
        ],
        "behaviour_rules": [
            {
                "id": "pricing",
                "activity_type": "page_view",
                "filters": {"url_pattern": "/pricing\\b"},
                "points": 5,
                "decay": {"half_life_days": 30},
                "daily_cap": 6,
                "cap": 25,
            },
            {
                "id": "webinar",
                "activity_type": "webinar_attended",
                "filters": {"channel": ["webinar"], "campaign": ["summit"]},
                "points": 12.5,
                "decay": {"window_days": 90},
            },
            {
                "id": "ebook",
                "activity_type": "content_download",
                "filters": {"asset_stage": ["decision"]},
                "points": 3.33,
                "decay": {"half_life_days": 7.5, "window_days": 60},
                "cap": 5,
            },
            {"id": "unsubscribe", "activity_type": "email_unsubscribe", "points": -15},
            {
                "id": "trial",
                "activity_type": "product_signup",
                "filters": {"properties": {"plan": "Pro"}},
                "points": 20,
            },
        ],
        "mql": {"total": 40, "engagement": 10},
        "grades": {"A": 30, "B": 15, "C": 5},
    }
)


def _data(n: int, m: int, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)

    def pick(values: list, size: int) -> list:
        return [values[i] for i in rng.integers(0, len(values), size)]

    contacts = pl.DataFrame(
        {
            "contact_id": np.arange(1, n + 1),
            "contact.job_level": pick(["vp", "c_level", "manager", "VP", None], n),
            "account.is_target": pick([True, False, None], n),
            "contact.budget": pick([5000.0, 10000.0, 25000.0, float("nan"), None], n),
            "account.employees": pick([5, 19, 20, 500, 5000, None], n),
            "contact.title": pick(
                ["Student", "intern at x", "VP Sales", "internal audit", None], n
            ),
            "contact.phone": pick(["+1 555", "", None], n),
        }
    )
    t0 = int(AS_OF.timestamp() * 1e6) - 200 * US_PER_DAY
    acts = pl.DataFrame(
        {
            "contact_id": rng.integers(1, n + 1, m),
            "activity_type": pick(
                [
                    "page_view",
                    "webinar_attended",
                    "content_download",
                    "email_unsubscribe",
                    "product_signup",
                ],
                m,
            ),
            # Some after as_of (never counted), many on the same days (daily caps bite).
            "occurred_at": pl.Series(t0 + rng.integers(120 * US_PER_DAY, 210 * US_PER_DAY, m)).cast(
                pl.Datetime("us", "UTC")
            ),
            "channel": pick(["webinar", "email", None], m),
            "campaign": pick(["summit", "spring", None], m),
            "asset_stage": pick(["decision", "awareness", None], m),
            "url": pick(
                [
                    "https://x.io/pricing",
                    "https://x.io/pricingplans",
                    "https://x.io/PRICING/b",
                    None,
                ],
                m,
            ),
            "properties": pick(['{"plan": "pro"}', '{"plan": "free"}', "{}", None], m),
        }
    )
    return contacts, acts


@pytest.fixture(scope="module")
def data():
    return _data(600, 40_000)


def _spark_factory(spark):
    from tandem.engines.spark import SparkEngine

    return lambda relations: SparkEngine(relations, spark)


def test_the_sql_rescore_equals_the_polars_rescore_on_duckdb_and_spark(data, spark):
    contacts, acts = data
    expected = polars_rescore(MODEL, contacts, acts, as_of=AS_OF)
    assert expected.scores["is_mql"].sum() > 0 and expected.parts["capped"].any()
    for build in (Engine, _spark_factory(spark)):
        got = portable.rescore(build, MODEL, contacts, acts, as_of=AS_OF)
        assert_frame_equal(got.scores, expected.scores)
        assert_frame_equal(got.parts, expected.parts)
