"""A rep may open an account exactly when it holds a record the rep may open: the same rule
for the account page (`permissions.may_read`) and for every list that links to it
(`visibility.accounts`), so no list shows a rep an account link that answers 403."""

import pytest
from sqlalchemy import select

from tandem.accounts.models import Account
from tandem.auth import permissions, visibility
from tandem.auth.roles import Role
from tandem.settings import Settings
from tests import factories as f


@pytest.mark.parametrize("unassigned", [True, False])
def test_an_account_opens_for_a_rep_when_it_holds_a_record_the_rep_sees(db, unassigned):
    rep = f.user(db, role=Role.SALES_REP)
    other = f.user(db, role=Role.SALES_REP)
    settings = Settings(database_url="sqlite://", reps_see_unassigned=unassigned)
    theirs = f.account(db, name="Theirs", owner_id=other.id)
    free = f.account(db, name="Free", owner_id=other.id)
    dealt = f.account(db, name="Dealt", owner_id=other.id)
    f.contact(db, account_id=theirs.id, owner_id=other.id)
    f.contact(db, account_id=free.id, owner_id=None)  # an unassigned contact
    f.opportunity(db, dealt, owner_id=rep.id)
    db.flush()
    expected = {"Dealt"} | ({"Free"} if unassigned else set())
    opened = {
        a.name
        for a in (theirs, free, dealt)
        if permissions.may_read(db, rep, "account", a.id, settings)
    }
    assert opened == expected
    listed = db.scalars(select(Account.name).where(visibility.accounts((unassigned, rep.id)))).all()
    assert set(listed) == expected
