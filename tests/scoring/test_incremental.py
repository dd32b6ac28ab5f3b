"""The incremental update on both databases: the same scores as a full rescore, one MQL
transition per crossing, never a demotion, and the handler wired to `ActivitiesStored`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from tandem.contacts.models import Contact
from tandem.db import make_session_factory, utcnow
from tandem.events import StoredActivity
from tandem.lifecycle.models import StageTransition
from tandem.scoring import service, views
from tandem.scoring.incremental import score_new_activities
from tandem.scoring.models import ContactScore, ContactScoreHistory
from tests import factories as f

from . import store_support
from .store_support import activate, small_yaml, stored, world

DAY = timedelta(days=1)


def _scores(db) -> dict[int, tuple]:
    db.expire_all()
    return {
        r.contact_id: (r.fit, r.engagement, r.total, r.grade, r.is_mql, r.parts)
        for r in db.scalars(select(ContactScore))
    }


def _transitions(db, contact_id: int) -> list[tuple]:
    return db.execute(
        select(StageTransition.from_stage, StageTransition.to_stage, StageTransition.actor)
        .where(StageTransition.contact_id == contact_id)
        .order_by(StageTransition.id)
    ).all()


def test_incremental_update_equals_full_rescore(db, marketer, sales_manager):
    now = utcnow()
    people = world(db, now - 30 * DAY)
    version = activate(db, marketer, sales_manager, small_yaml(), now - 30 * DAY)
    model = service.model_of(version)
    # New activities arrive one batch at a time, for contacts with and without a stored state.
    batches = [
        [(people[0], "demo_request", now - 20 * DAY, {})],
        [(people[0], "page_view", now - 5 * DAY, {"url": "https://t.example/pricing"})],
        [
            (people[1], "page_view", now - 2 * DAY, {"url": "https://t.example/pricing"}),
            (people[1], "page_view", now - 2 * DAY, {"url": "https://t.example/pricing/b"}),
            (people[2], "email_unsubscribe", now - DAY, {}),
            (people[3], "web_visit", now - DAY, {}),  # no rule counts it
        ],
    ]
    for batch in batches:
        rows = [f.activity(db, person, kind, at, **kw) for person, kind, at, kw in batch]
        events = [StoredActivity(r.id, r.contact_id, r.type, r.occurred_at) for r in rows]
        score_new_activities(db, events, now=now)
    stored_rows = _scores(db)
    read = {p.id: views.contact_panel(db, p.id, as_of=now) for p in people}
    service.rescore_all(db_session=db, version=version, as_of=now, model=model)
    full = _scores(db)
    # Contacts updated now are stored exactly as the full rescore has them...
    for person in people[:3]:
        assert stored_rows[person.id] == full[person.id]
    # ...and every contact reads (decayed as of now) as the full rescore, explanation included.
    for person in people:
        panel, row = read[person.id], full[person.id]
        assert (panel.fit, panel.engagement, panel.total, panel.grade, panel.is_mql) == row[:5]
        assert [(p.rule_id, float(p.points)) for p in panel.parts] == [
            (p["rule_id"], p["points"]) for p in row[5]
        ]
    assert any(p["rule_id"] == "demo" for p in full[people[0].id][5])


def test_crossing_records_one_transition_and_never_demotes(db, marketer, sales_manager):
    now = utcnow()
    lead = f.contact(db, job_level="vp", lifecycle_stage="lead")  # fit 20, MQL at total 50
    version = activate(db, marketer, sales_manager, small_yaml(), now - DAY)
    stored(db, lead, "page_view", now - DAY, url="https://t.example/pricing")  # +~4.8
    assert _transitions(db, lead.id) == []
    stored(db, lead, "demo_request", now - timedelta(minutes=5))  # 30: crosses 50
    db.refresh(lead)
    assert lead.lifecycle_stage == "mql"
    moves = _transitions(db, lead.id)
    assert moves == [("lead", "mql", f"scoring:{version.label}")]
    stored(db, lead, "page_view", now - timedelta(minutes=1), url="https://t.example/pricing")
    stored(db, lead, "email_unsubscribe", now)  # -40: far below the rule
    db.refresh(lead)
    score = db.get(ContactScore, lead.id)
    assert score.is_mql is False and score.total < 50
    assert lead.lifecycle_stage == "mql"  # dropping below never demotes
    assert len(_transitions(db, lead.id)) == 1
    history = db.scalars(
        select(ContactScoreHistory.total).where(ContactScoreHistory.contact_id == lead.id)
    ).all()
    assert len(history) >= 4 and history[-1] == score.total


def test_contacts_sales_already_has_are_not_moved(db, marketer, sales_manager):
    now = utcnow()
    taken = f.contact(db, job_level="vp", lifecycle_stage="sal")
    activate(db, marketer, sales_manager, small_yaml(), now - DAY)
    stored(db, taken, "demo_request", now - timedelta(minutes=1))
    db.refresh(taken)
    assert db.get(ContactScore, taken.id).is_mql is True
    assert taken.lifecycle_stage == "sal" and _transitions(db, taken.id) == []


def test_full_rescore_promotes_new_mqls_once(db, marketer, sales_manager):
    now = utcnow()
    people = world(db, now)
    version = activate(db, marketer, sales_manager, small_yaml(vp=45), now)
    stages = dict(db.execute(select(Contact.id, Contact.lifecycle_stage)).all())
    mqls = {cid for cid, row in _scores(db).items() if row[4]}
    # lead (vp) and nurture (c_level) meet the rule; the SAL one is left with sales.
    assert mqls == {people[0].id, people[2].id}
    assert stages[people[0].id] == "mql" and stages[people[2].id] == "mql"
    nurture_move = db.execute(
        select(StageTransition.reason).where(StageTransition.contact_id == people[2].id)
    ).scalar_one()
    assert "met the MQL rule (total >= 50) of small@1" in nurture_move
    service.rescore_all(db_session=db, version=version, as_of=now + DAY)
    assert len(_transitions(db, people[0].id)) == 1


def test_import_batches_are_rescored_in_bulk_with_the_same_numbers(
    db, marketer, sales_manager, monkeypatch
):
    from tandem.scoring import incremental

    now = utcnow()
    people = world(db, now - 30 * DAY)
    activate(db, marketer, sales_manager, small_yaml(), now - 30 * DAY)
    rows = [f.activity(db, p, "demo_request", now - 2 * DAY) for p in people]
    events = [StoredActivity(r.id, r.contact_id, r.type, r.occurred_at) for r in rows]
    monkeypatch.setattr(incremental, "BULK_CONTACTS", 2)  # four contacts: an "import batch"
    score_new_activities(db, events, now=now)
    bulk = _scores(db)
    assert all(row[5] for row in bulk.values())
    read = {p.id: views.contact_panel(db, p.id, as_of=now) for p in people}
    assert {cid: (r.total, r.is_mql) for cid, r in read.items()} == {
        cid: (row[2], row[4]) for cid, row in bulk.items()
    }
    lead = db.get(Contact, people[0].id)
    assert lead.lifecycle_stage == "mql" and len(_transitions(db, lead.id)) == 1


def test_the_update_commits_or_rolls_back_with_the_writers_transaction(db, marketer, sales_manager):
    now = utcnow()
    lead = f.contact(db, job_level="vp", lifecycle_stage="lead")
    activate(db, marketer, sales_manager, small_yaml(), now - DAY)
    before = db.get(ContactScore, lead.id).total
    history = len(db.scalars(select(ContactScoreHistory.id)).all())
    writer = db.begin_nested()  # the writer's transaction
    stored(db, lead, "demo_request", now - timedelta(minutes=5))
    db.flush()
    assert db.get(ContactScore, lead.id).is_mql is True  # scored inside it
    assert _transitions(db, lead.id) == [("lead", "mql", "scoring:small@1")]
    writer.rollback()  # the activity is not stored after all: neither is its score
    db.expire_all()
    assert db.get(ContactScore, lead.id).total == before
    assert db.get(Contact, lead.id).lifecycle_stage == "lead"
    assert _transitions(db, lead.id) == []
    assert len(db.scalars(select(ContactScoreHistory.id)).all()) == history


def test_a_full_rescore_appends_one_history_point_per_score_it_stored(db, marketer, sales_manager):
    now = utcnow()
    world(db, now - 30 * DAY)
    version = activate(db, marketer, sales_manager, small_yaml(), now - 30 * DAY)
    db.expire_all()
    scores = {
        s.contact_id: (s.model_version_id, s.fit, s.engagement, s.total, s.is_mql, s.scored_at)
        for s in db.scalars(select(ContactScore))
    }
    points = db.execute(
        select(
            ContactScoreHistory.contact_id, ContactScoreHistory.model_version_id,
            ContactScoreHistory.fit, ContactScoreHistory.engagement, ContactScoreHistory.total,
            ContactScoreHistory.is_mql, ContactScoreHistory.at,
        ).where(ContactScoreHistory.cause == "rescore")
    ).all()  # fmt: skip
    assert len(scores) >= 4 and {p[0]: tuple(p[1:]) for p in points} == scores
    assert len(points) == len(scores) and {s[0] for s in scores.values()} == {version.id}


def test_a_failed_full_rescore_leaves_the_scores_and_their_indexes(migrated_database, monkeypatch):
    """The full rescore empties the score table by dropping it on SQLite, before anything else
    is written in its transaction: a failure must roll back to the scores and indexes as
    they were."""
    _, engine = migrated_database("rescore_rollback")
    session = make_session_factory(engine)()
    now = utcnow()
    marketer = store_support.person(session, store_support.Role.MARKETER)
    manager = store_support.person(session, store_support.Role.SALES_MANAGER)
    world(session, now)
    version = activate(session, marketer, manager, small_yaml(), now)
    session.commit()
    before = _scores(session)
    assert len(before) >= 4

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "insert_frame", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        service.rescore_all(db_session=session, version=version, as_of=now + DAY)
    session.rollback()
    assert _scores(session) == before
    indexes = {i["name"] for i in inspect(engine).get_indexes("contact_scores")}
    assert {"ix_contact_scores_total", "ix_contact_scores_model_version_id"} <= indexes
    monkeypatch.undo()
    service.rescore_all(db_session=session, version=version, as_of=now)
    session.commit()
    assert _scores(session) == before  # and a whole one stores the same scores again
    session.close()
