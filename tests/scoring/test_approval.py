"""Joint approval on both databases: who may propose and decide, stale proposals, audit trail,
bad YAML refused with file:line, and two approvals at once leaving exactly one active version."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tandem.audit import guard
from tandem.audit.models import AuditEvent
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.scoring import approval, service
from tandem.scoring.errors import Conflict, InvalidModel, NotAllowed
from tandem.scoring.models import ContactScore, ScoringModelVersion

from .store_support import person, small_yaml, world


def _audit(db, version_id):
    return db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "scoring_model_version")
        .where(AuditEvent.entity_id == str(version_id))
        .order_by(AuditEvent.id)
    ).all()


def test_marketing_proposes_sales_approves_and_everyone_is_rescored(db, marketer, sales_manager):
    now = utcnow()
    people = world(db, now)
    version = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(), now=now)
    assert (version.status, version.proposed_team, version.active_flag) == (
        "proposed",
        "marketing",
        None,
    )
    assert service.active_version(db) is None
    done, summary = approval.approve(
        db_session=db, user=sales_manager, version_id=version.id, now=now, note="agreed at QBR"
    )
    assert (done.status, done.active_flag, done.decided_by_id) == ("active", 1, sales_manager.id)
    assert summary.contacts == len(people)
    stored = {row.contact_id: row for row in db.scalars(select(ContactScore))}
    assert set(stored) == {p.id for p in people}
    assert stored[people[1].id].model_version == "small@1"
    events = _audit(db, version.id)
    assert [(e.action, e.actor_user_id) for e in events] == [
        ("scoring.propose", marketer.id),
        ("scoring.approve", sales_manager.id),
    ]
    assert events[1].after["note"] == "agreed at QBR" and events[1].occurred_at is not None


@pytest.mark.parametrize("role", [Role.MARKETER, Role.ADMIN, Role.SALES_REP, Role.EXECUTIVE])
def test_only_the_other_teams_approver_decides(db, marketer, role):
    version = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(), now=utcnow())
    someone = person(db, role)
    for decide in (approval.approve, approval.reject):
        with pytest.raises(NotAllowed, match="only a sales manager"):
            decide(db_session=db, user=someone, version_id=version.id, now=utcnow())
    assert version.status == "proposed"


def test_sales_proposals_need_a_marketer(db, marketer, sales_manager):
    version = approval.propose(
        db_session=db, user=sales_manager, yaml_text=small_yaml(), now=utcnow()
    )
    assert version.proposed_team == "sales"
    with pytest.raises(NotAllowed):
        approval.approve(
            db_session=db, user=person(db, Role.SALES_MANAGER), version_id=version.id, now=utcnow()
        )
    rejected = approval.reject(
        db_session=db, user=marketer, version_id=version.id, now=utcnow(), note="too generous"
    )
    assert (rejected.status, rejected.decision_note) == ("rejected", "too generous")
    assert [e.action for e in _audit(db, version.id)] == ["scoring.propose", "scoring.reject"]
    with pytest.raises(Conflict, match="already rejected"):
        approval.approve(db_session=db, user=marketer, version_id=version.id, now=utcnow())


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES_REP, Role.EXECUTIVE])
def test_other_roles_cannot_propose(db, role):
    with pytest.raises(NotAllowed, match="only a marketer"):
        approval.propose(db_session=db, user=person(db, role), yaml_text=small_yaml(), now=utcnow())


def test_second_of_two_proposals_on_the_same_base_is_refused(db, marketer, sales_manager):
    now = utcnow()
    first = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(1), now=now)
    approval.approve(db_session=db, user=sales_manager, version_id=first.id, now=now)
    a = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(2, vp=25), now=now)
    b = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(3, vp=15), now=now)
    approval.approve(db_session=db, user=sales_manager, version_id=a.id, now=now)
    with pytest.raises(Conflict, match="no longer active"):
        approval.approve(db_session=db, user=sales_manager, version_id=b.id, now=now)
    statuses = dict(
        db.execute(select(ScoringModelVersion.version, ScoringModelVersion.status)).all()
    )
    assert statuses == {1: "superseded", 2: "active", 3: "proposed"}
    active = select(ScoringModelVersion.id).where(ScoringModelVersion.active_flag == 1)
    assert db.scalar(active) == a.id


BAD = {
    "unknown field": (
        "name: m\nversion: 1\ncolour: red\nmql: {total: 5}\ngrades: {A: 3, B: 2, C: 1}\n",
        3,
        "unknown field 'colour'",
    ),
    "wrong type": (
        "name: m\nversion: one\nmql: {total: 5}\ngrades: {A: 3, B: 2, C: 1}\n",
        2,
        "version",
    ),
    "field that does not exist": (
        "name: m\nversion: 1\nmql: {total: 5}\ngrades: {A: 3, B: 2, C: 1}\nfit_rules:\n"
        "  - {id: a, field: contact.shoe_size, op: exists, points: 5}\n",
        6,
        "field 'contact.shoe_size' does not exist here",
    ),
    "regex": (
        "name: m\nversion: 1\nmql: {total: 5}\ngrades: {A: 3, B: 2, C: 1}\nfit_rules:\n"
        "  - {id: a, field: contact.title, op: regex, pattern: '(vp', points: 5}\n",
        6,
        "bad regex",
    ),
    "zero-day decay": (
        "name: m\nversion: 1\nmql: {total: 5}\ngrades: {A: 3, B: 2, C: 1}\nbehaviour_rules:\n"
        "  - id: b\n    activity_type: page_view\n    points: 5\n    decay: {half_life_days: 0}\n",
        9,
        "greater than 0",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_yaml_is_refused_with_file_line_and_nothing_changes(db, marketer, case):
    yaml_text, line, reason = BAD[case]
    with pytest.raises(InvalidModel) as caught:
        approval.propose(
            db_session=db, user=marketer, yaml_text=yaml_text, now=utcnow(), filename="m.yaml"
        )
    errors = [i for i in caught.value.issues if i.level == "error"]
    assert any(i.line == line and reason in i.message for i in errors), [i.format() for i in errors]
    assert any(i.format().startswith(f"m.yaml:{line}: error:") for i in errors)
    assert db.scalar(select(ScoringModelVersion.id)) is None


def test_a_version_must_be_newer_than_the_stored_ones(db, marketer):
    approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(2), now=utcnow())
    with pytest.raises(InvalidModel) as caught:
        approval.propose(
            db_session=db, user=marketer, yaml_text=small_yaml(2), now=utcnow(), filename="m.yaml"
        )
    assert caught.value.issues[0].format().startswith("m.yaml:2: error: version 2 of 'small'")


def test_two_approvals_at_once_leave_exactly_one_active_version(engine):
    """Real concurrency: two connections approve two proposals on the same base at once."""
    now = utcnow()
    with Session(engine) as db:
        marketer = person(db, Role.MARKETER)
        managers = [person(db, Role.SALES_MANAGER), person(db, Role.SALES_MANAGER)]
        base = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(101), now=now)
        approval.approve(db_session=db, user=managers[0], version_id=base.id, now=now)
        ids = [
            approval.propose(
                db_session=db, user=marketer, yaml_text=small_yaml(102 + i), now=now
            ).id
            for i in range(2)
        ]
        user_ids = [marketer.id] + [m.id for m in managers]
        manager_ids, base_id = user_ids[1:], base.id
        db.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(version_id: int, manager_id: int) -> None:
        with Session(engine) as db:
            manager = db.get(User, manager_id)
            barrier.wait()
            try:
                approval.approve(db_session=db, user=manager, version_id=version_id, now=now)
                db.commit()
                outcomes.append("approved")
            except Conflict:
                db.rollback()
                outcomes.append("conflict")

    threads = [
        threading.Thread(target=approve, args=(vid, mid))
        for vid, mid in zip(ids, manager_ids, strict=True)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with engine.connect() as conn:
            active = (
                conn.execute(text("SELECT id FROM scoring_model_versions WHERE active_flag = 1"))
                .scalars()
                .all()
            )
        assert sorted(outcomes) == ["approved", "conflict"]
        assert len(active) == 1 and active[0] in ids
    finally:
        # The audit log refuses deletes (tandem.audit.guard): clean-up lifts that in its
        # own transaction, as an operator with DDL rights could.
        with engine.begin() as conn, guard.unlocked(conn):
            every = [base_id, *ids]
            conn.execute(
                delete(AuditEvent).where(AuditEvent.entity_id.in_([str(i) for i in every]))
            )
            conn.execute(delete(ScoringModelVersion).where(ScoringModelVersion.id.in_(every)))
            conn.execute(delete(User).where(User.id.in_(user_ids)))


def test_reapproving_after_a_rejected_base_needs_a_fresh_proposal(db, marketer, sales_manager):
    now = utcnow()
    early = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(1), now=now)
    later = approval.propose(
        db_session=db, user=marketer, yaml_text=small_yaml(2), now=now + timedelta(seconds=1)
    )
    approval.approve(db_session=db, user=sales_manager, version_id=later.id, now=now)
    with pytest.raises(Conflict, match="no model was active"):
        approval.approve(db_session=db, user=sales_manager, version_id=early.id, now=now)
