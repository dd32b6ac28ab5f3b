"""Two reps, their manager, a marketer, and records of each, signed in through real sessions."""

from types import SimpleNamespace

import pytest

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.handoff.models import Handoff
from tests import factories as f


@pytest.fixture
def team(db):
    ann = f.user(db, Role.SALES_REP, name="Ann Rep")
    bob = f.user(db, Role.SALES_REP, name="Bob Rep")
    boss = f.user(db, Role.SALES_MANAGER, name="Sam Boss")
    mark = f.user(db, Role.MARKETER, name="Mia Marketer")
    acct = f.account(db, owner_id=bob.id, name="Bob Corp")
    anns_acct = f.account(db, owner_id=ann.id, name="Ann Corp")
    bobs = f.contact(db, account_id=acct.id, owner_id=bob.id, first_name="Bobs")
    anns = f.contact(db, owner_id=ann.id, first_name="Anns", account_id=anns_acct.id)
    routed = f.contact(db, first_name="Routed", lifecycle_stage="mql")
    db.add(
        Handoff(
            contact_id=routed.id,
            owner_id=ann.id,
            mql_at=f.T0,
            rule_id="us",
            route_reason="test",
            clock_started_at=f.T0,
        )
    )
    opp = f.opportunity(db, acct, owner_id=bob.id, name="Bob's deal")
    anns_opp = f.opportunity(db, anns_acct, owner_id=ann.id, name="Ann's deal")
    db.flush()
    return SimpleNamespace(**locals())


@pytest.fixture
def token_of(db):
    """An API token of `user`."""

    def make(user):
        return auth.create_api_token(db_session=db, user=user, name=f"t{user.id}")[1]

    return make
