"""The stored account rescore (`tandem.accounts.scores.rescore_all`) with
``TANDEM_ANALYTICS_ENGINE=spark`` rolls engagement up on Spark (`tandem.engines.rollup_sql`) and
stores exactly the account scores the in-process rescore stores."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tandem.accounts import scores
from tandem.accounts.models import AccountScore
from tandem.db import utcnow
from tandem.metrics import engine as metrics_engine
from tandem.settings import load_settings
from tests import factories as f

pytestmark = pytest.mark.spark
TYPES = ("meeting", "page_view", "content_download", "webinar_attend", "not_weighed")
ROLES = ("decision_maker", "champion", "economic_buyer", None)


def _stored(db) -> dict[int, tuple]:
    db.expire_all()
    return {
        r.account_id: (r.total, r.fit, r.engagement, r.coverage, r.is_mqa, r.people_engaged,
                       r.parts, r.roles_missing, r.last_touch_at)
        for r in db.scalars(select(AccountScore))
    }  # fmt: skip


def test_spark_stores_the_account_scores_the_in_process_rescore_stores(db, spark):
    now = utcnow()
    for a in range(6):
        account = f.account(db, industry="software", employees=300 * (a + 1))
        for c in range(a + 1):
            person = f.contact(db, account_id=account.id, buying_role=ROLES[(a + c) % 4])
            for k in range(3 * c + a):
                kind = TYPES[(a + c + k) % len(TYPES)]
                f.activity(db, person, kind, at=now - timedelta(days=(7 * k + c) % 120, hours=a))
    f.account(db)  # no contact, no touch: fit only
    done = scores.rescore_all(db, as_of=now)
    in_process = _stored(db)
    assert len(in_process) == 7 == done["accounts"]
    assert len({v[0] for v in in_process.values()}) >= 5  # the scores differ: a real check
    assert max(v[5] for v in in_process.values()) >= 4
    scores.clear(db)
    metrics_engine.use(load_settings(analytics_engine="spark"))
    try:
        assert scores.rescore_all(db, as_of=now) == done
    finally:
        metrics_engine.use(load_settings())
    assert _stored(db) == in_process
