"""Attribution credits only what is known: a won deal of unknown amount or creation date is left
out of the run (never credited as 0, never windowed from the import time) and its retrospective
says why."""

from datetime import timedelta

import pytest

from tandem.attribution import default_config
from tandem.attribution.retrospective import build_retrospective
from tandem.attribution.schemas import AttributionFilters
from tandem.attribution.service import OpportunityNotFound, run_attribution
from tests import factories as f
from tests.factories import T0


def _won(db, account, **kw):
    return f.opportunity(
        db, account, stage="closed_won", is_won=True, is_closed=True, closed_at=T0, **kw
    )


def test_only_deals_of_known_amount_and_creation_date_are_credited(db):
    account = f.account(db)
    known = _won(db, account, created_at=T0 - timedelta(days=30))
    no_amount = _won(db, account, amount=None, unknown={"amount": "no value in the file"})
    undated = _won(db, account, created_at=None)
    run = run_attribution(
        db_session=db, filters=AttributionFilters(basis="won"), config=default_config()
    )
    assert run.deals["opportunity_id"].to_list() == [known.id]
    with pytest.raises(OpportunityNotFound, match="no value in the file: nothing to credit"):
        build_retrospective(db_session=db, opportunity_id=no_amount.id, config=default_config())
    with pytest.raises(OpportunityNotFound, match="created_at unknown: no attribution window"):
        build_retrospective(db_session=db, opportunity_id=undated.id, config=default_config())
