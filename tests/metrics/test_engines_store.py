"""A full rescore stored through `rescore_all` with ``TANDEM_ANALYTICS_ENGINE=spark`` stores
the scores the in-process rescore stores; a Spark run that fails halfway stores nothing and the
last good scores stay."""

from datetime import timedelta

import pytest

from tandem.db import utcnow
from tandem.engines.rescore import EngineFailed
from tandem.metrics import engine as metrics_engine
from tandem.scoring import service
from tandem.scoring.model import RegexRule
from tandem.settings import load_settings
from tests.scoring.conftest import marketer, sales_manager  # noqa: F401 (fixtures)
from tests.scoring.store_support import activate, small_yaml, world
from tests.scoring.test_incremental import _scores

pytestmark = pytest.mark.spark
DAY = timedelta(days=1)


def test_spark_stores_what_the_in_process_rescore_stores(db, marketer, sales_manager, spark):  # noqa: F811
    now = utcnow()
    people = world(db, now - 30 * DAY)
    version = activate(db, marketer, sales_manager, small_yaml(), now - 30 * DAY)
    in_process = _scores(db)  # the approval's own rescore, in this process
    assert len(in_process) == len(people) and any(s[1] for s in in_process.values())
    metrics_engine.use(load_settings(analytics_engine="spark"))
    try:
        service.rescore_all(db_session=db, version=version, as_of=now - 30 * DAY)
        assert _scores(db) == in_process
        # A regex Python accepts but Java cannot compile fails on Spark when the rule runs,
        # after the other rules' parts: nothing is written, the last good scores stay.
        model = service.model_of(version)
        bad = RegexRule(
            id="named", field="contact.job_level", op="regex", pattern="(?P<v>vp)", points=1
        )
        broken = model.model_copy(update={"fit_rules": (*model.fit_rules, bad)})
        with pytest.raises(
            EngineFailed,
            match=r"TANDEM_SPARK_MASTER=local\[2\]\) failed: .*"
            r"nothing was stored, the scores of the last good run stay",
        ):
            service.rescore_all(db_session=db, version=version, as_of=now, model=broken)
        assert _scores(db) == in_process
    finally:
        metrics_engine.use(load_settings())
