"""Merging duplicate contacts keeps every touch, move and deal role, and is audited."""

import pytest
from sqlalchemy import select

from tandem.activities.models import Activity
from tandem.audit.models import AuditEvent
from tandem.contacts.models import Contact
from tandem.ingest import merge
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import OpportunityContactRole
from tests import factories as f
from tests.factories import T0


def test_merge_moves_history_and_records_it(db):
    acct = f.account(db)
    keep = f.contact(db, email="ana@acme.com")
    dup = f.contact(db, email="ana.m@acme.com", title="CTO", external_id="hs-9")
    f.activity(db, keep)
    f.activity(db, dup)
    f.transition(db, dup, None, "mql", T0)
    shared = f.opportunity(db, acct, contacts=[(keep, "champion"), (dup, "user")])
    own = f.opportunity(db, acct, contacts=[(dup, "decision_maker")])
    dup_id = dup.id
    result = merge.merge_contacts(
        db_session=db, keep="ana@acme.com", other=str(dup.id), actor_user_id=None
    )
    db.expire_all()
    assert db.get(Contact, dup_id) is None
    kept = db.get(Contact, keep.id)
    assert (kept.title, kept.external_id) == ("CTO", "hs-9")
    assert kept.custom_fields["merged_emails"] == ["ana.m@acme.com"]
    assert db.scalars(select(Activity.contact_id)).all() == [keep.id, keep.id]
    assert db.scalars(select(StageTransition.contact_id)).all() == [keep.id]
    roles = db.execute(
        select(
            OpportunityContactRole.opportunity_id,
            OpportunityContactRole.contact_id,
            OpportunityContactRole.role,
        )
    ).all()
    assert sorted(roles) == sorted(
        [(shared.id, keep.id, "champion"), (own.id, keep.id, "decision_maker")]
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "contact.merge"))
    assert event.entity_id == str(keep.id) and event.before["removed"]["email"] == "ana.m@acme.com"
    assert result.moved["activities.contact_id"] == 1


def test_merge_refuses_unknown_or_same(db):
    c = f.contact(db)
    with pytest.raises(merge.MergeError, match="no contact"):
        merge.merge_contacts(db_session=db, keep=str(c.id), other="nobody@x.io", actor_user_id=None)
    with pytest.raises(merge.MergeError, match="same contact"):
        merge.merge_contacts(db_session=db, keep=str(c.id), other=c.email, actor_user_id=None)
