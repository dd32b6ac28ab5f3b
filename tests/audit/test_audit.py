"""The audit log: append-only in the database, every audited change with before and after,
and the /audit page, its JSON twin and CSV export with filters and pages."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.lifecycle.service import move_stage
from tandem.web.deps import SESSION_COOKIE
from tests import factories as f


def _person(db, role, email):
    row = User(email=email, name=email.split("@")[0], password_hash="!", role=role)
    db.add(row)
    db.flush()
    return row


def _event(db, **kw):
    event = audit.record(
        db_session=db,
        actor_user_id=kw.pop("actor", None),
        action=kw.pop("action", "test.change"),
        entity_type=kw.pop("entity_type", "thing"),
        entity_id=kw.pop("entity_id", 1),
        before=kw.pop("before", {"v": 1}),
        after=kw.pop("after", {"v": 2}),
    )
    if "at" in kw:
        event.occurred_at = kw.pop("at")
    db.flush()
    return event


@pytest.mark.parametrize(
    "statement",
    [
        lambda e: update(AuditEvent).where(AuditEvent.id == e.id).values(action="forged"),
        lambda e: delete(AuditEvent).where(AuditEvent.id == e.id),
        lambda e: text("UPDATE audit_events SET after = NULL WHERE id = :id").bindparams(id=e.id),
        lambda e: text("DELETE FROM audit_events"),
    ],
)
def test_the_database_refuses_to_change_or_remove_an_event(db, statement):
    event = _event(db)
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(statement(event))
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.id == event.id)) == "test.change"


def test_deleting_a_user_cannot_rewrite_their_events(db):
    user = _person(db, Role.ADMIN, "gone@example.com")
    _event(db, actor=user.id)
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(delete(User).where(User.id == user.id))  # ON DELETE SET NULL is an UPDATE


def test_the_audit_package_has_no_update_or_delete_path():
    from pathlib import Path

    package = Path(audit.__file__).parent
    for module in package.glob("*.py"):
        if module.name == "guard.py":
            continue  # the triggers themselves
        source = module.read_text()
        assert "update(" not in source and "delete(" not in source, module.name


# --- every audited change carries who, when, before and after --------------------------------


def test_role_changes_stage_moves_and_token_revocations_are_audited(db):
    admin = _person(db, Role.ADMIN, "root@example.com")
    rep = _person(db, Role.SALES_REP, "rep@example.com")
    auth.set_role(db_session=db, email=rep.email, role=Role.SALES_MANAGER, actor_id=admin.id)
    person = f.contact(db, lifecycle_stage="mql", stage_entered_at=f.T0)
    move_stage(db_session=db, contact=person, to_stage="sal", at=f.T0, by_user_id=rep.id)
    move_stage(db_session=db, contact=person, to_stage="sql", at=f.T0)  # no person: not audited
    token, _ = auth.create_api_token(db_session=db, user=rep, name="t")
    auth.revoke_api_token(db_session=db, token_id=token.id, now=utcnow(), actor_id=admin.id)
    db.flush()
    events = {
        e.action: e
        for e in db.scalars(
            select(AuditEvent).where(AuditEvent.actor_user_id.in_([admin.id, rep.id]))
        )
    }
    role = events["user.set_role"]
    assert (role.actor_user_id, role.before, role.after) == (
        admin.id,
        {"role": "sales_rep"},
        {"role": "sales_manager"},
    )
    moved = events["stage.move"]
    assert moved.before == {"stage": "mql"} and moved.after["stage"] == "sal"
    assert moved.entity_type == "contact" and moved.entity_id == str(person.id)
    assert events["api_token.revoke"].before == {"revoked_at": None}
    assert all(e.occurred_at is not None for e in events.values())
    stage_events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "stage.move", AuditEvent.entity_id == str(person.id)
        )
    ).all()
    assert len(stage_events) == 1


def test_scoring_decisions_are_audited_with_before_and_after(db):
    from tandem.scoring import approval
    from tests.scoring.store_support import small_yaml

    marketer = _person(db, Role.MARKETER, "mkt@example.com")
    manager = _person(db, Role.SALES_MANAGER, "mgr@example.com")
    now = utcnow()
    first = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(1), now=now)
    approval.reject(db_session=db, user=manager, version_id=first.id, now=now, note="too loose")
    second = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(2), now=now)
    approval.approve(db_session=db, user=manager, version_id=second.id, now=now)
    db.flush()
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_id.in_([str(first.id), str(second.id)]))
        .order_by(AuditEvent.id)
    ).all()
    by_action = {(e.action, e.entity_id): e for e in events}
    rejected = by_action[("scoring.reject", str(first.id))]
    assert rejected.actor_user_id == manager.id
    assert rejected.before["status"] == "proposed" and rejected.after["status"] == "rejected"
    approved = by_action[("scoring.approve", str(second.id))]
    assert "active" in approved.before and approved.after["status"] == "active"
    assert by_action[("scoring.propose", str(second.id))].actor_user_id == marketer.id


# --- the page, the JSON twin and the CSV --------------------------------------------------------


@pytest.fixture
def log(db):
    admin = _person(db, Role.ADMIN, "boss@example.com")
    rep = _person(db, Role.SALES_REP, "rep@example.com")
    t0 = utcnow() - timedelta(days=10)
    for day in range(6):
        _event(
            db,
            actor=admin.id,
            action="user.set_role",
            entity_type="user",
            at=t0 + timedelta(days=day),
        )
    _event(db, actor=rep.id, action="handoff.rep_settings", entity_type="user", at=t0)
    _event(
        db,
        action="handoff.config.change",
        entity_type="handoff_config",
        entity_id="routing",
        after={"text": '=HYPERLINK("http://evil")'},
        at=t0 + timedelta(days=9),
    )
    return admin, rep, t0


def _as(client, db, user):
    client.cookies.set(
        SESSION_COOKIE, auth.start_session(db_session=db, user=user, now=utcnow(), hours=1)
    )
    db.flush()
    return client


def test_the_json_twin_filters_by_actor_entity_action_and_dates(client, db, log):
    admin, rep, t0 = log
    _as(client, db, admin)

    def ids(**params):
        body = client.get("/api/v1/audit", params={"page_size": 500, **params}).json()
        return [i["action"] for i in body["items"] if i["action"] != "user.create"]

    assert ids(actor="rep@example.com") == ["handoff.rep_settings"]
    assert ids(actor=str(rep.id)) == ["handoff.rep_settings"]
    assert ids(actor="system", entity_type="handoff_config") == ["handoff.config.change"]
    assert ids(action="handoff") == ["handoff.config.change", "handoff.rep_settings"]
    first_days = {
        "start": t0.date().isoformat(),
        "end": (t0 + timedelta(days=2)).date().isoformat(),
    }
    assert ids(action="user.set_role", **first_days) == ["user.set_role"] * 3
    assert client.get("/api/v1/audit?end=soon").status_code == 422


def test_the_page_is_paginated_newest_first_and_keeps_the_filters(client, db, log):
    admin, _, _ = log
    client.app.state.settings.page_size = 4
    _as(client, db, admin)
    first = client.get("/audit?action=user.set_role")
    assert first.status_code == 200 and "6 events" in first.text and "page 1 of 2" in first.text
    assert 'rel="next" href="/audit?actor=&amp;entity_type=&amp;action=user.set_role' in first.text
    second = client.get("/audit?action=user.set_role&page=2")
    assert second.text.count("<code>user.set_role</code>") == 2
    assert client.get("/audit?start=nope").status_code == 422


def test_the_csv_export_has_every_match_and_neutralises_formulas(client, db, log):
    admin, _, _ = log
    response = _as(client, db, admin).get("/api/v1/audit/export.csv?entity_type=handoff_config")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["action"] for r in rows] == ["handoff.config.change"]
    assert rows[0]["actor"] == "" and '"text": "=HYPERLINK' in rows[0]["after"]
    assert not rows[0]["after"].startswith("=")


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.MARKETER, Role.EXECUTIVE])
def test_only_admins_and_managers_read_the_log(client, db, role):
    _as(client, db, _person(db, role, f"{role.value}@example.com"))
    assert client.get("/audit").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/api/v1/audit/export.csv").status_code == 403
