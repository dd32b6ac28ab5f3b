"""A model's approval routes the MQLs its full rescore makes, in the approval's own
transaction: a handoff exists right after `approve` returns, before any tick."""

from sqlalchemy import select

from tandem.db import utcnow
from tandem.handoff.models import Handoff
from tandem.lifecycle.models import StageTransition
from tests import factories as f
from tests.scoring.store_support import activate, small_yaml


def test_approval_hands_off_each_new_mql_at_once(db, people, config):
    now = utcnow()
    target = f.account(db, country="US", is_target=True, employees=50)
    vp = f.contact(db, account_id=target.id, country="US", job_level="vp", lifecycle_stage="lead")
    quiet = f.contact(db, account_id=target.id, country="US", lifecycle_stage="lead")
    f.activity(db, vp, "demo_request", now)
    assert db.scalar(select(Handoff.id)) is None
    activate(db, people.mia, people.boss, small_yaml(), now)
    moved = db.scalars(
        select(StageTransition.contact_id).where(StageTransition.to_stage == "mql")
    ).all()
    assert moved == [vp.id]  # the quiet lead does not meet the rule
    handoffs = db.scalars(select(Handoff)).all()
    assert [(h.contact_id, h.owner_id, h.mql_at) for h in handoffs] == [(vp.id, people.ann.id, now)]
    assert handoffs[0].cause.startswith("scoring:small@1") and quiet.id != vp.id
