"""Routing rules and SLA policies as versioned definitions: joint approval, checks at
file:line, one active version (the database refuses two), audit, and no half-written state."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tandem.audit.models import AuditEvent
from tandem.definitions import service
from tandem.definitions.kinds import UnknownKind, kind_named
from tandem.definitions.models import DefinitionVersion
from tests import factories as f
from tests.factories import T0
from tests.handoff.conftest import ROUTING, SLA

ROUTING_KIND, SLA_KIND = kind_named("routing"), kind_named("sla")


def _propose(db, user, text=ROUTING, kind=ROUTING_KIND):
    return service.propose(db_session=db, kind=kind, text=text, user=user, at=T0, source="test")


def _approve(db, row, user, kind=ROUTING_KIND):
    return service.approve(db_session=db, version_id=row.id, user=user, at=T0, kind=kind)


def test_a_sales_manager_proposes_and_an_admin_approves(db, team):
    first = _approve(db, _propose(db, team["manager"]), team["admin"])
    assert (first.status, first.version, first.active_key) == ("active", 1, "routing:default")
    changed = ROUTING.replace("capacity: 2", "capacity: 3")
    second = _propose(db, team["admin"], changed)  # and the other way round
    _approve(db, second, team["manager"])
    assert [(v.version, v.status) for v in service.versions(db_session=db, kind=ROUTING_KIND)] == [
        (2, "active"),
        (1, "superseded"),
    ]
    assert service.active(db_session=db, kind=ROUTING_KIND).text == changed
    actions = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "definition:routing")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["definition.propose", "definition.approve"] * 2
    approved = db.scalar(
        select(AuditEvent.after)
        .where(AuditEvent.action == "definition.approve")
        .order_by(AuditEvent.id.desc())
    )
    assert "-      - {user_id: ann@example.com, capacity: 2}" in approved["diff"]
    assert "+      - {user_id: ann@example.com, capacity: 3}" in approved["diff"]


@pytest.mark.parametrize(
    ("proposer", "approver", "why"),
    [
        ("marketer", None, "proposed by a sales_manager or a admin"),
        ("manager", "manager", "approved by someone other than its proposer"),
        ("admin", "admin", "approved by someone other than its proposer"),
        ("manager", "marketer", "a admin approves it"),
    ],
)
def test_only_the_other_role_of_the_pair_approves(db, team, proposer, approver, why):
    with pytest.raises(service.NotAllowed, match=why):
        row = _propose(db, team[proposer])
        _approve(db, row, team[approver])
    assert service.active(db_session=db, kind=ROUTING_KIND) is None


def test_a_routing_version_naming_an_unknown_user_is_refused_at_file_line(db, team):
    text = ROUTING.replace("bob@example.com", "zed@example.com")
    with pytest.raises(service.InvalidDefinition) as caught:
        service.propose(
            db_session=db, kind=ROUTING_KIND, text=text, user=team["manager"], at=T0,
            source="file:routing.yaml",
        )  # fmt: skip
    assert "routing.yaml:10: error: teams.us.reps[1].user_id: rep 'zed@example.com'" in str(
        caught.value
    )
    assert db.scalar(select(func.count()).select_from(DefinitionVersion)) == 0


def test_an_inactive_user_fails_the_approval_of_a_version_proposed_before(db, team):
    row = _propose(db, team["manager"])
    bob = db.scalar(select(f.User).where(f.User.email == "bob@example.com"))
    bob.is_active = False
    db.flush()
    with pytest.raises(service.InvalidDefinition, match="bob@example.com"):
        _approve(db, row, team["admin"])
    assert db.get(DefinitionVersion, row.id).status == "proposed"  # nothing half-applied


def test_a_definition_of_the_wrong_kind_is_refused(db, team):
    with pytest.raises(service.InvalidDefinition, match="<routing>:1: error"):
        _propose(db, team["manager"], SLA)


def test_an_sla_naming_a_team_the_active_routing_lacks_is_refused(db, team):
    _approve(db, _propose(db, team["manager"]), team["admin"])
    text = SLA.replace("teams: [us]", "teams: [emea]")
    with pytest.raises(service.InvalidDefinition, match="emea"):
        _propose(db, team["manager"], text, SLA_KIND)


def test_a_decided_version_cannot_be_decided_again(db, team):
    row = _approve(db, _propose(db, team["manager"]), team["admin"])
    with pytest.raises(service.AlreadyDecided, match="active already"):
        _approve(db, row, team["admin"])
    other = _propose(db, team["manager"], ROUTING.replace("capacity: 1", "capacity: 4"))
    service.reject(db_session=db, version_id=other.id, user=team["admin"], at=T0, kind=ROUTING_KIND)
    with pytest.raises(service.AlreadyDecided, match="rejected already"):
        _approve(db, other, team["admin"])
    assert service.active(db_session=db, kind=ROUTING_KIND).id == row.id


def test_the_database_refuses_a_second_active_version(db, team):
    row = _approve(db, _propose(db, team["manager"]), team["admin"])
    twin = _propose(db, team["manager"], ROUTING.replace("capacity: 1", "capacity: 5"))
    twin.active_key = row.active_key  # what two approvals racing past the checks would write
    with pytest.raises(IntegrityError), db.begin_nested():
        db.flush()


def test_unknown_kinds_are_named():
    with pytest.raises(UnknownKind, match="known kinds: routing, sla"):
        kind_named("routes")
