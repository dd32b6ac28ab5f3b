"""Two reps, their manager, and records of each: the world of the object-rule tests."""

from types import SimpleNamespace

import pytest

from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.handoff.models import Handoff
from tests import factories as f
from tests.auth.people import person


@pytest.fixture
def reps(db):
    ann = person(db, Role.SALES_REP)
    bob = User(email="bob@matrix.example", name="Bob", password_hash="!", role=Role.SALES_REP)
    db.add(bob)
    boss = person(db, Role.SALES_MANAGER)
    db.flush()
    acct = f.account(db, owner_id=bob.id)
    bobs = f.contact(db, account_id=acct.id, owner_id=bob.id)
    anns = f.contact(db, owner_id=ann.id)
    free = f.contact(db)
    opp = f.opportunity(db, acct, owner_id=bob.id)
    routed = f.contact(db)  # routed to Ann, not yet accepted: not owned, but hers to read
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
    db.flush()
    return SimpleNamespace(
        ann=ann,
        bob=bob,
        boss=boss,
        acct=acct,
        bobs=bobs,
        anns=anns,
        free=free,
        opp=opp,
        routed=routed,
    )
