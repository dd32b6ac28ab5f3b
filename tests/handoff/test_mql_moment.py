"""An MQL is routed at the MQL moment, in the transaction that made it an MQL: through the
event API (scored past the MQL rule), a CSV import and a rescore alike; no tick is needed."""

from sqlalchemy import func, select

from tandem.auth import service as auth
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.handoff.models import Handoff, Notification
from tandem.ingest import jobs
from tandem.ingest.mapping import profile_mapping
from tandem.lifecycle import service as lifecycle
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.stages import Stage
from tests import factories as f
from tests.factories import T0
from tests.scoring.store_support import activate, small_yaml


def _handoff(db, contact_id):
    return db.scalar(select(Handoff).where(Handoff.contact_id == contact_id))


def test_an_event_scored_past_the_mql_rule_is_routed_in_the_same_request(
    client, db, people, config
):
    activate(db, people.mia, people.boss, small_yaml(), T0)
    target = f.account(db, country="US", is_target=True, employees=50)
    vp = f.contact(db, account_id=target.id, country="US", job_level="vp", lifecycle_stage="lead")
    _, plain = auth.create_api_token(db_session=db, user=people.mia, name="t")
    db.flush()
    now = utcnow().isoformat()  # scores decay: the demo request is fresh
    event = {"contact_email": vp.email, "type": "demo_request", "occurred_at": now}
    answer = client.post(
        "/api/v1/activities", json=[event], headers={"Authorization": f"Bearer {plain}"}
    )
    assert answer.json()["new"] == 1
    db.expire_all()
    moved_at = db.scalar(
        select(StageTransition.occurred_at).where(
            StageTransition.contact_id == vp.id, StageTransition.to_stage == "mql"
        )
    )
    handoff = _handoff(db, vp.id)
    assert (handoff.owner_id, handoff.rule_id, handoff.mql_at) == (people.ann.id, "us", moved_at)
    assert handoff.cause.startswith("scoring:small@1") and handoff.accept_due_at is not None
    assert handoff.clock_started_at == moved_at
    assert db.scalar(
        select(Notification.subject).where(Notification.handoff_id == handoff.id)
    ).startswith("New MQL in your queue")


def test_a_csv_import_routes_the_mqls_it_makes(db, people, config, tmp_path):
    acct = f.account(db, country="US", domain="us-lead.com")
    path = tmp_path / "contacts.csv"
    path.write_text("email,lifecycle_stage,country\nnew@us-lead.com,mql,US\n")
    tx = jobs.nested(db.connection())
    job_id = jobs.create_job(
        tx,
        path=path,
        kind="contacts",
        profile="generic",
        mapping=profile_mapping("generic", "contacts"),
    )
    job = jobs.run_job(tx, job_id)  # as a library: the installed capabilities hear it
    assert job["rows_new"] == 1
    contact_id = db.scalar(select(Contact.id).where(Contact.email == "new@us-lead.com"))
    handoff = _handoff(db, contact_id)
    assert (handoff.owner_id, handoff.cause) == (people.ann.id, "import:generic")
    assert acct.id is not None


def test_a_rescore_promotion_routes_every_new_mql_once(db, people, config):
    leads = [
        f.contact(
            db, country="US", lifecycle_stage="lead", account_id=f.account(db, country="US").id
        )
        for _ in range(3)
    ]
    moved = lifecycle.promote(
        db,
        [c.id for c in leads],
        to_stage=Stage.MQL,
        from_stages=(Stage.LEAD,),
        at=T0,
        cause="scoring:test@1",
        reason="met the MQL rule",
    )
    assert len(moved) == 3
    owners = [_handoff(db, c.id).owner_id for c in leads]
    # Round robin in team us: Ann (capacity 2) and Bob (capacity 1) share them.
    assert sorted(owners) == sorted([people.ann.id, people.ann.id, people.bob.id])
    assert db.scalar(select(func.count()).select_from(Handoff)) == 3
