"""A full attribution run stored with ``TANDEM_ANALYTICS_ENGINE=spark`` stores the credits and
learned shares the in-process run stores; a Spark run that fails halfway stores nothing and the
last good run stays."""

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from sqlalchemy import func, select

from tandem.attribution import default_config, registry
from tandem.attribution.models import AttributionRunRecord
from tandem.attribution.store import latest_run, run_full
from tandem.engines.rescore import EngineFailed
from tandem.metrics import engine as metrics_engine
from tandem.settings import load_settings
from tests.attribution import world
from tests.attribution.test_attribution_stored import stored
from tests.factories import T0

pytestmark = pytest.mark.spark
NOW = T0 + timedelta(days=90)


def test_spark_stores_what_the_in_process_run_stores(db, spark):
    world.build(db)
    first = run_full(db_session=db, config=default_config(), now=NOW)
    expected = stored(db).sort(pl.all())
    shares = latest_run(db).shares
    assert first.credits > 0 and set(shares) == {"markov", "shapley"}
    metrics_engine.use(load_settings(analytics_engine="spark"))
    try:
        summary = run_full(db_session=db, config=default_config(), now=NOW + timedelta(hours=1))
        assert summary.credits == first.credits and summary.models == first.models
        assert stored(db).sort(pl.all()).equals(expected)
        learned = latest_run(db).shares
        for model, by_channel in shares.items():
            assert learned[model] == pytest.approx(by_channel, rel=1e-12)
        runs = db.scalar(select(func.count()).select_from(AttributionRunRecord))
        registry.register("plugin")(lambda batch, config: np.ones(len(batch.channel_code)))
        # A model the SQL cannot express fails on Spark after the paths were aggregated there:
        # nothing is written, the credits of the last good run stay.
        with pytest.raises(
            EngineFailed,
            match=r"attribution run on Spark \(TANDEM_SPARK_MASTER=local\[2\]\) failed: "
            r"model 'plugin' has no SQL form; nothing was stored, the credits of the last",
        ):
            run_full(db_session=db, config=default_config(), now=NOW + timedelta(hours=2))
        assert stored(db).sort(pl.all()).equals(expected)
        assert db.scalar(select(func.count()).select_from(AttributionRunRecord)) == runs
    finally:
        registry.unregister("plugin")
        metrics_engine.use(load_settings())
