"""Customer health scored through `tandem.usage.service` with ``TANDEM_ANALYTICS_ENGINE=spark``
stores the health and raises the signals the in-process scoring does."""

from datetime import UTC, date, datetime

import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import select

from tandem.metrics import engine as metrics_engine
from tandem.settings import load_settings
from tandem.usage import service
from tandem.usage.models import HealthScore
from tests.usage.conftest import customers, run_import, with_usage  # noqa: F401 (fixtures)

pytestmark = pytest.mark.spark
AS_OF = date(2026, 6, 28)


def _stored(db) -> list[tuple]:
    db.expire_all()
    rows = db.scalars(select(HealthScore).order_by(HealthScore.account_id))
    return [(r.account_id, r.scorecard, r.score, r.band, r.parts) for r in rows]


def test_spark_stores_the_health_the_in_process_scoring_stores(db, run_import, customers, spark):  # noqa: F811
    with_usage(run_import)
    at = datetime(2026, 6, 28, 12, tzinfo=UTC)
    in_process = service.score_and_store(db, as_of=AS_OF, at=at)
    stored = _stored(db)
    assert stored and stored[0][2] > 0 and in_process.signals
    metrics_engine.use(load_settings(analytics_engine="spark"))
    try:
        on_spark = service.score_and_store(db, as_of=AS_OF, at=at)
    finally:
        metrics_engine.use(load_settings())
    assert_frame_equal(on_spark.health.scores, in_process.health.scores)
    assert_frame_equal(on_spark.health.parts, in_process.health.parts)
    assert on_spark.signals == in_process.signals and on_spark.new_signals == 0
    assert _stored(db) == stored
