"""Handoff storage and service on both databases: routing, accept/reject, clocks, escalation."""

import pytest
from sqlalchemy import func, select

from tandem.accounts.models import Account
from tandem.audit.models import AuditEvent
from tandem.definitions.models import DefinitionVersion
from tandem.handoff import service
from tandem.handoff.assign import routing_test
from tandem.handoff.intake import mark_mql
from tandem.handoff.models import (
    Handoff,
    Notification,
    RepSetting,
    RoutingCursor,
    SlaEscalation,
)
from tandem.handoff.reasons import UnknownRejectReason
from tandem.handoff.reports import commitments, reject_report
from tandem.handoff.scores import ScoreView
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.service import stage_history
from tests import factories as f

from .conftest import at, mql, tick


def handoff_of(db, person):
    return db.scalar(select(Handoff).where(Handoff.contact_id == person.id))


def label(db, person):
    """How notifications name a lead: name (or email) and account."""
    return f"{person.first_name or person.email} ({db.get(Account, person.account_id).name})"


def inbox(db, user, kind=None):
    query = select(Notification.kind, Notification.subject).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.execute(query.order_by(Notification.id)).all()


def test_tick_routes_new_mqls_by_owner_territory_round_robin_and_fallback(db, people, config):
    owned = f.account(db, country="DE", owner_id=people.bob.id)
    by_owner = mql(db, country="DE", account=owned, first_name="Owned")
    us1, us2, us3 = (mql(db, first_name=f"Us{i}") for i in range(3))
    elsewhere = mql(db, country="FR", first_name="Far")
    report = tick(db, config, 0)
    assert report.routed == 5
    routes = {
        p.first_name: (h.owner_id, h.queue, h.rule_id, h.team, h.policy, h.tier)
        for p in (by_owner, us1, us2, us3, elsewhere)
        if (h := handoff_of(db, p))
    }
    ann, bob = people.ann.id, people.bob.id
    assert routes == {
        "Owned": (bob, None, "account_owner", None, "default", "queue"),
        # Bob's account lead fills his capacity of 1, so round robin skips him; Ann takes
        # two, and the team being full sends the third to the fallback queue.
        "Us0": (ann, None, "us", "us", "inbound", "standard"),
        "Us1": (ann, None, "us", "us", "inbound", "standard"),
        "Us2": (None, "unassigned", "us", "us", "inbound", "standard"),
        "Far": (None, "unassigned", "fallback", None, "default", "queue"),
    }
    db.refresh(us1)
    assert us1.owner_id == ann
    assert db.scalar(select(RoutingCursor.position).where(RoutingCursor.pool == "us")) == 0
    assert [s for _, s in inbox(db, people.ann, "new_lead")] == [
        f"New MQL in your queue: {label(db, us1)}",
        f"New MQL in your queue: {label(db, us2)}",
    ]
    assert [s for _, s in inbox(db, people.bob)] == [
        f"New MQL in your queue: {label(db, by_owner)}"
    ]
    handoff = handoff_of(db, us1)
    assert (handoff.accept_due_at, handoff.first_touch_due_at) == (at(2), at(4))
    assert handoff.next_check_at == at(1.5)  # the at-risk reminder is the next thing due
    assert tick(db, config, 0).routed == 0  # handed off once


def test_full_team_sends_a_lead_to_the_queue_and_away_reps_are_skipped(db, people, config):
    db.add(RepSetting(user_id=people.ann.id, away=True))
    db.flush()
    first, second = mql(db), mql(db)
    tick(db, config, 0)
    assert handoff_of(db, first).owner_id == people.bob.id
    second_handoff = handoff_of(db, second)
    assert (second_handoff.owner_id, second_handoff.queue) == (None, "unassigned")
    assert "ann@example.com (away)" in second_handoff.route_reason
    assert "bob@example.com (full, 1/1 open)" in second_handoff.route_reason


def test_accept_moves_to_sal_logs_the_move_and_meets_the_clock(db, people, config):
    lead = mql(db)
    tick(db, config, 0)
    out = service.accept(
        db_session=db, config=config, contact_id=lead.id, user=people.ann, as_of=at(0.5)
    )
    assert (out.lifecycle_stage, out.handoff.status) == ("sal", "accepted")
    db.refresh(lead)
    assert (lead.lifecycle_stage, lead.stage_entered_at, lead.owner_id) == (
        "sal",
        at(0.5),
        people.ann.id,
    )
    last = db.scalars(
        select(StageTransition)
        .where(StageTransition.contact_id == lead.id)
        .order_by(StageTransition.id.desc())
    ).first()
    assert (last.from_stage, last.to_stage, last.by_user_id, last.actor) == (
        "mql",
        "sal",
        people.ann.id,
        "handoff:accept",
    )
    spans = stage_history(db_session=db, contact_id=lead.id, as_of=at(2.5))
    assert [(s.stage, s.duration.total_seconds() / 3600) for s in spans] == [
        ("mql", 0.5),
        ("sal", 2.0),
    ]
    report = tick(db, config, 1.75)  # past the at-risk time of accept, but it was met
    assert report.escalations == 0


def test_reject_needs_a_configured_code_and_sends_the_lead_back_with_the_reason(db, people, config):
    lead, other = mql(db), mql(db)
    tick(db, config, 0)
    with pytest.raises(UnknownRejectReason, match="use one of: bad_fit, no_budget"):
        service.reject(
            db_session=db,
            config=config,
            contact_id=lead.id,
            user=people.ann,
            reason_code="too_small",
            comment=None,
            as_of=at(1),
        )
    assert handoff_of(db, lead).status == "open"
    service.reject(
        db_session=db,
        config=config,
        contact_id=lead.id,
        user=people.ann,
        reason_code="no_budget",
        comment="  budget frozen until Q3 ",
        as_of=at(1),
    )
    db.refresh(lead)
    handoff = handoff_of(db, lead)
    assert (lead.lifecycle_stage, handoff.status, handoff.reject_code, handoff.reject_comment) == (
        "nurture",
        "rejected",
        "no_budget",
        "budget frozen until Q3",
    )
    log = db.scalars(
        select(StageTransition.reason).where(StageTransition.contact_id == lead.id)
    ).all()
    assert log[-1] == "rejected: No budget (budget frozen until Q3)"
    service.reject(
        db_session=db,
        config=config,
        contact_id=other.id,
        user=people.bob,
        reason_code="existing_customer",
        comment=None,
        as_of=at(1),
    )
    db.refresh(other)
    assert other.lifecycle_stage == "disqualified"  # that reason's outcome


def test_conflicts_change_nothing(db, people, config):
    lead = mql(db)
    tick(db, config, 0)  # to ann
    before = db.scalar(select(func.count()).select_from(StageTransition))
    with pytest.raises(service.NotAllowed):
        service.accept(
            db_session=db, config=config, contact_id=lead.id, user=people.mia, as_of=at(1)
        )
    with pytest.raises(service.NotInQueue, match="is in another rep's queue, not yours"):
        service.accept(
            db_session=db, config=config, contact_id=lead.id, user=people.bob, as_of=at(1)
        )
    assert handoff_of(db, lead).status == "open"
    assert db.scalar(select(func.count()).select_from(StageTransition)) == before
    service.accept(db_session=db, config=config, contact_id=lead.id, user=people.ann, as_of=at(1))
    with pytest.raises(service.AlreadyHandled, match="already accepted by Ann Rep"):
        service.reject(
            db_session=db,
            config=config,
            contact_id=lead.id,
            user=people.boss,
            reason_code="bad_fit",
            comment=None,
            as_of=at(2),
        )
    db.refresh(lead)
    assert lead.lifecycle_stage == "sal"
    never = f.contact(db, lifecycle_stage="lead")
    with pytest.raises(service.AlreadyHandled, match="never handed to sales"):
        service.accept(
            db_session=db, config=config, contact_id=never.id, user=people.ann, as_of=at(1)
        )


def test_a_manager_may_answer_for_their_team(db, people, config):
    lead = mql(db)
    tick(db, config, 0)
    out = service.accept(
        db_session=db, config=config, contact_id=lead.id, user=people.boss, as_of=at(1)
    )
    assert out.handoff.owner_id == people.boss.id


def test_escalations_happen_once_however_often_the_tick_runs(db, people, config):
    lead = mql(db)
    tick(db, config, 0)
    for hours in (1.6, 1.6, 1.7):  # at risk from 10:30: one reminder
        tick(db, config, hours)
    assert inbox(db, people.ann, "sla_reminder") == [
        ("sla_reminder", f"Accept due by 2026-03-02 11:00 UTC: {label(db, lead)}")
    ]
    assert [tick(db, config, 2.1).escalations, tick(db, config, 2.1).escalations] == [1, 0]
    assert [s for _, s in inbox(db, people.boss, "sla_breach")] == [
        f"SLA breached: Accept of {label(db, lead)}"
    ]
    keys = db.scalars(select(SlaEscalation.key).order_by(SlaEscalation.id)).all()
    assert keys == [
        f"sla:{lead.id}:20260302T090000Z:accept:at_risk:remind_rep",
        f"sla:{lead.id}:20260302T090000Z:accept:breached:alert_manager",
    ]


def test_reassignment_gives_the_lead_to_another_rep_with_fresh_clocks(db, people, config):
    lead = mql(db)
    tick(db, config, 0)  # ann
    report = tick(db, config, 3.5)  # 12:30: at risk, breached and breached+1h all due
    assert (report.escalations, report.reassigned) == (4, 1)  # + first-touch reminder
    handoff = handoff_of(db, lead)
    assert (handoff.owner_id, handoff.clock_started_at, handoff.reassignments) == (
        people.bob.id,
        at(3.5),
        1,
    )
    assert handoff.accept_due_at == at(5.5)
    assert "reassigned after an SLA breach" in handoff.route_reason
    assert inbox(db, people.ann, "reassigned_away")
    assert inbox(db, people.bob, "new_lead")[-1][1] == f"Reassigned to you: {label(db, lead)}"
    assert tick(db, config, 3.5).reassigned == 0
    # Bob's fresh clock escalates on its own schedule (new keys), and Bob can accept.
    assert tick(db, config, 5.1).escalations == 1
    service.accept(db_session=db, config=config, contact_id=lead.id, user=people.bob, as_of=at(5.2))


def test_first_touch_is_the_owners_first_sales_activity_after_the_mql(db, people, config):
    lead = mql(db)
    tick(db, config, 0)
    service.accept(db_session=db, config=config, contact_id=lead.id, user=people.ann, as_of=at(0.2))
    f.activity(db, lead, "sales_call", at(-1), actor_user_id=people.ann.id)  # before the MQL
    f.activity(db, lead, "sales_email", at(0.5), actor_user_id=people.bob.id)  # not the owner
    f.activity(db, lead, "web_visit", at(0.6), actor_user_id=people.ann.id)  # not sales
    f.activity(db, lead, "sales_email", at(0.7), actor_user_id=people.ann.id)
    assert tick(db, config, 1).first_touches == 1
    handoff = handoff_of(db, lead)
    assert (handoff.first_touch_at, handoff.next_check_at) == (at(0.7), None)
    assert tick(db, config, 4.5).escalations == 0  # both clocks met


def test_handoffs_close_when_the_contact_leaves_the_stage_another_way(db, people, config):
    lead = mql(db)
    tick(db, config, 0)
    lead.lifecycle_stage = "disqualified"  # e.g. an import
    db.flush()
    assert tick(db, config, 0.1).closed == 1
    assert handoff_of(db, lead).status == "closed"
    assert tick(db, config, 5).escalations == 0


def test_mark_mql_logs_the_cause_and_starts_clocks_at_the_mql_moment(db, people, config):
    lead = f.account(db, country="US")
    person = f.contact(db, account_id=lead.id, country="US", lifecycle_stage="lead")
    hid = mark_mql(db_session=db, config=config, contact_id=person.id, at=at(1), cause="scoring:v7")
    handoff = db.get(Handoff, hid)
    assert (handoff.mql_at, handoff.clock_started_at, handoff.cause) == (at(1), at(1), "scoring:v7")
    moved = db.scalars(select(StageTransition).where(StageTransition.contact_id == person.id)).one()
    assert (moved.from_stage, moved.to_stage, moved.actor) == ("lead", "mql", "scoring:v7")


def test_score_grade_picks_the_tier(db, people, config):
    lead = mql(db)
    graded = {lead.id: ScoreView(total=88, grade="A")}
    tick(db, config, 0, scores=lambda _db, ids: {i: graded[i] for i in ids if i in graded})
    handoff = handoff_of(db, lead)
    assert (handoff.tier, handoff.accept_due_at) == ("A", at(1))


def test_routing_test_explains_without_saving(db, people, config):
    lead = mql(db, employees=500)
    result = routing_test(db_session=db, config=config, contact_id=lead.id)
    assert (result.owner_id, result.rule_id, result.policy, result.tier) == (
        people.ann.id,
        "us",
        "inbound",
        "standard",
    )
    assert "rule 'us' matched (country US in US)" in result.reason
    assert db.scalar(select(func.count()).select_from(RoutingCursor)) == 0
    assert db.scalar(select(func.count()).select_from(Handoff)) == 0


def test_files_are_imported_as_definition_versions_once_per_content(
    db, people, cache, handoff_files
):
    cache.get(db)
    cache.get(db)
    stored = db.execute(
        select(DefinitionVersion.kind, DefinitionVersion.version, DefinitionVersion.status)
    ).all()
    assert sorted(stored) == [("routing", 1, "active"), ("sla", 1, "active")]
    routing, _ = handoff_files
    routing.write_text(routing.read_text().replace("capacity: 2", "capacity: 3"))
    config = cache.get(db)
    assert config.rules.teams["us"].reps[0].capacity == 3
    approved = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "definition:routing")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert (approved.action, approved.entity_id, approved.actor_user_id) == (
        "definition.approve",
        "default@2",
        None,  # the system adopted the file named in the environment
    )
    assert "+      - {user_id: ann@example.com, capacity: 3}" in approved.after["diff"]


def test_reject_reasons_by_campaign_channel_and_source_and_commitments(db, people, config):
    webinar = f.campaign(db, name="Spring Webinar", channel="webinar")
    ads = f.campaign(db, name="Search Ads", channel="paid_search")
    big = f.account(db, country="US", employees=5000)
    leads = [
        mql(db, account=big, first_touch_campaign_id=webinar.id, first_touch_source="linkedin"),
        mql(db, first_touch_campaign_id=webinar.id, first_touch_source="linkedin"),
        mql(db, first_touch_campaign_id=ads.id, first_touch_source="google"),
    ]
    tick(db, config, 0)  # ann, bob, ann
    owners = [people.ann, people.bob, people.ann]
    for lead, owner, code in zip(leads, owners, ("no_budget", "bad_fit", None), strict=True):
        if code:
            service.reject(
                db_session=db,
                config=config,
                contact_id=lead.id,
                user=owner,
                reason_code=code,
                comment=None,
                as_of=at(1),
            )
        else:
            service.accept(
                db_session=db, config=config, contact_id=lead.id, user=owner, as_of=at(1)
            )
    rows = {
        r.key: (r.handed_off, r.accepted, r.rejected, r.by_reason)
        for r in reject_report(db_session=db, config=config, as_of=at(2), by="campaign").rows
    }
    assert rows == {
        "Spring Webinar": (2, 0, 2, {"no_budget": 1, "bad_fit": 1}),
        "Search Ads": (1, 1, 0, {}),
    }
    by_channel = reject_report(db_session=db, config=config, as_of=at(2), by="channel")
    assert [(r.key, r.reject_rate_pct) for r in by_channel.rows] == [
        ("webinar", 100.0),
        ("paid_search", 0.0),
    ]
    by_source = reject_report(db_session=db, config=config, as_of=at(2), by="source")
    assert {r.key for r in by_source.rows} == {"linkedin", "google"}
    attained = {
        c.segment: (c.actual, c.target)
        for c in commitments(db_session=db, config=config, as_of=at(2))
    }
    assert attained == {"all": (3, 4), "enterprise": (1, 2)}
