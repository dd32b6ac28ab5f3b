"""Accounts handed to sales through the same handoff as leads: an MQA (`AccountsQualified`),
an expansion signal and a churn risk (`UsageSignalsRaised`) routed with SLA clocks, escalated by
the tick, accepted or rejected with reasons, on the queue and the packet page."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tandem.accounts import stages as account_stages
from tandem.accounts.events import AccountsQualified
from tandem.accounts.journey import accepted_mqas
from tandem.accounts.models import AccountScore
from tandem.audit.models import AuditEvent
from tandem.auth import service as auth
from tandem.events import publish
from tandem.handoff import account_service, queue
from tandem.handoff.models import Handoff, Notification, SlaEscalation
from tandem.handoff.reasons import UnknownRejectReason
from tandem.opportunities.models import Opportunity
from tandem.usage import service as usage
from tandem.usage.models import UsageSignal
from tandem.usage.signals import Signal
from tests import factories as f
from tests.factories import T0

from .conftest import at, tick
from .test_pages import csrf, signed_in


def _mqa(db, account, when=T0):
    publish(db, AccountsQualified([account.id], "abm@1", when, "rescore"))
    db.expire_all()


def _handoffs(db, account_id, subject=None):
    query = select(Handoff).where(Handoff.account_id == account_id)
    if subject:
        query = query.where(Handoff.subject == subject)
    return db.scalars(query).all()


def _signal(db, account, kind="expansion", rule="seats_full", evidence=None, when=T0):
    found = Signal(account.id, kind, rule, "2026-W10", evidence or {"seats": 10, "used": 10})
    [signal_id] = usage.raise_signals(db, signals=[found], at=when)
    db.expire_all()
    return signal_id


def test_an_mqa_is_routed_once_to_the_account_owner_with_a_one_day_accept_clock(db, people, config):
    acct = f.account(db, name="Acme Robotics", country="US", owner_id=people.bob.id)
    _mqa(db, acct)
    _mqa(db, acct)  # the same event again: still one handoff
    [h] = _handoffs(db, acct.id)
    assert (h.subject, h.owner_id, h.contact_id) == ("account", people.bob.id, None)
    assert h.rule_id == "account_owner"
    # No policy targets MQAs: the default policy's calendar, one business day to accept.
    assert (h.policy, h.tier, h.accept_due_at) == ("default:account", "standard", at(8))
    assert h.first_touch_due_at == at(24 + 8)
    notes = db.scalars(select(Notification.subject).where(Notification.handoff_id == h.id)).all()
    assert notes == ["New MQA in your queue: Acme Robotics"]


def test_an_unowned_mqa_is_routed_by_territory_and_the_account_takes_the_rep(db, people, config):
    acct = f.account(db, name="Nord AG", country="US")
    _mqa(db, acct)
    [h] = _handoffs(db, acct.id)
    assert (h.rule_id, h.team, h.owner_id) == ("us", "us", people.ann.id)
    assert h.policy == "inbound:account" and acct.owner_id == people.ann.id


def test_an_mqa_sla_breach_escalates_through_the_tick(db, people, config):
    acct = f.account(db, name="Late Corp", country="US")
    _mqa(db, acct)
    [h] = _handoffs(db, acct.id)
    report = tick(db, config, 24.5)  # Tuesday 09:30: accept was due Monday 17:00
    assert report.escalations == 2  # at_risk (remind Ann) and breached (alert the manager)
    steps = set(db.scalars(select(SlaEscalation.step).where(SlaEscalation.handoff_id == h.id)))
    assert steps == {"at_risk", "breached"}
    alert = db.scalar(
        select(Notification).where(
            Notification.handoff_id == h.id, Notification.user_id == people.boss.id
        )
    )
    assert alert.kind == "sla_breach" and alert.subject == "SLA breached: Accept of MQA: Late Corp"
    assert tick(db, config, 24.5).escalations == 0  # a repeated tick acts once
    tick(db, config, 25.5)  # breached+1h: reassigned away from Ann, to Bob
    db.refresh(h)
    assert (h.owner_id, h.reassignments) == (people.bob.id, 1)


def test_lead_figures_and_capacity_ignore_account_handoffs(db, people, config):
    for n in range(3):  # more than Ann's capacity of 2
        _mqa(db, f.account(db, name=f"Big {n}", country="US", owner_id=people.ann.id))
    view = queue.rep_queue(db_session=db, config=config, user=people.ann, as_of=at(1))
    assert [i.subject_label for i in view.to_decide] == ["MQA", "MQA", "MQA"]
    assert all(i.url.startswith("/handoff/accounts/") for i in view.to_decide)
    lead = f.contact(db, country="US", lifecycle_stage="mql", stage_entered_at=T0)
    f.transition(db, lead, "lead", "mql", T0, actor="scoring:v1")
    tick(db, config, 0)
    assert db.scalar(select(Handoff.owner_id).where(Handoff.contact_id == lead.id)) == people.ann.id


def test_accepting_an_expansion_opens_exactly_one_opportunity_of_unknown_amount(db, people, config):
    acct = f.account(db, name="Grow Inc", country="US", owner_id=people.ann.id)
    signal_id = _signal(db, acct)
    [h] = _handoffs(db, acct.id, "expansion")
    assert (h.signal_id, h.owner_id, h.cause) == (signal_id, people.ann.id, "usage:seats_full")
    out = account_service.accept(
        db_session=db, config=config, account_id=acct.id, subject="expansion",
        user=people.ann, as_of=at(1),
    )  # fmt: skip
    deals = db.scalars(select(Opportunity).where(Opportunity.account_id == acct.id)).all()
    assert len(deals) == 1 and out.opportunity_id == deals[0].id
    assert (deals[0].amount, deals[0].deal_type, deals[0].owner_id) == (
        None,
        "upsell",
        people.ann.id,
    )
    assert deals[0].unknown == {"amount": account_service.NO_ESTIMATE}
    assert db.get(UsageSignal, signal_id).status == "accepted"
    try:
        account_service.accept(
            db_session=db, config=config, account_id=acct.id, subject="expansion",
            user=people.ann, as_of=at(2),
        )  # fmt: skip
    except account_service.AlreadyHandled:
        pass
    else:
        raise AssertionError("a second accept must be refused")
    assert db.scalar(select(func.count()).select_from(Opportunity)) == 1
    assert (
        db.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == str(h.id)))
        == "handoff.account.accept"
    )


def test_an_estimate_carried_by_the_signal_is_the_amount(db, people, config):
    acct = f.account(db, name="Est Ltd", country="US", owner_id=people.ann.id)
    _signal(db, acct, rule="limit_95:api_calls", evidence={"estimated_amount": 1200.5})
    account_service.accept(
        db_session=db, config=config, account_id=acct.id, subject="expansion",
        user=people.ann, as_of=at(1),
    )  # fmt: skip
    deal = db.scalar(select(Opportunity).where(Opportunity.account_id == acct.id))
    assert str(deal.amount) == "1200.50" and deal.unknown == {}


def test_a_churn_risk_is_handed_off_and_rejected_with_its_own_reasons(db, people, config):
    acct = f.account(db, name="Quiet plc", country="US", owner_id=people.ann.id)
    signal_id = _signal(db, acct, kind="churn_risk", rule="adoption_low")
    _signal(db, acct, kind="pql", rule="pql")  # PQLs enter the lead funnel, not this handoff
    assert [h.subject for h in _handoffs(db, acct.id)] == ["churn_risk"]
    try:
        account_service.reject(
            db_session=db, config=config, account_id=acct.id, subject="churn_risk",
            user=people.ann, reason_code="no_budget", comment=None, as_of=at(1),
        )  # fmt: skip
    except UnknownRejectReason as exc:
        assert "not_at_risk" in str(exc)
    else:
        raise AssertionError("a lead reason is not a churn-risk reason")
    out = account_service.reject(
        db_session=db, config=config, account_id=acct.id, subject="churn_risk",
        user=people.ann, reason_code="not_at_risk", comment="seasonal", as_of=at(1),
    )  # fmt: skip
    assert (out.status, out.reject_code, out.reject_comment) == ("rejected", "not_at_risk",
                                                                 "seasonal")  # fmt: skip
    assert db.get(UsageSignal, signal_id).status == "rejected"


def test_an_accepted_mqa_is_the_fact_the_journey_stage_reads(db, people, config):
    acct = f.account(db, name="Stage Co", country="US", owner_id=people.ann.id)
    db.add(AccountScore(account_id=acct.id, model_version="abm@1", total=80, fit=40,
                        engagement=40, intent=0, coverage=0, is_mqa=True, mqa_at=T0,
                        scored_at=T0))  # fmt: skip
    _mqa(db, acct)
    assert accepted_mqas(db, acct.id) == set()
    account_service.accept(
        db_session=db, config=config, account_id=acct.id, subject="account",
        user=people.ann, as_of=at(1),
    )  # fmt: skip
    assert accepted_mqas(db, acct.id) == {acct.id}
    working = account_stages.StagesDefinition(
        stages=[
            {"id": "sales_accepted", "when": {"accepted": True}},
            {"id": "mqa", "when": {"mqa": True}},
            {"id": "unaware"},
        ]
    )
    facts = account_stages.StageFacts(mqa=True, accepted=acct.id in accepted_mqas(db))
    assert account_stages.evaluate(working, facts) == "sales_accepted"


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(repeats=st.lists(st.integers(0, 3), min_size=1, max_size=6))
def test_events_sent_again_store_one_handoff_per_account(db, people, config, repeats):
    """However often and in whatever grouping an MQA event is sent, one handoff per account."""
    accounts = [f.account(db, country="US", owner_id=people.bob.id) for _ in range(3)]
    when = T0 + dt.timedelta(minutes=len(repeats))
    for n in repeats:
        publish(db, AccountsQualified([a.id for a in accounts[: n + 1]], "abm@1", when, "x"))
        publish(db, AccountsQualified([accounts[0].id], "abm@1", when, "x"))
    counts = [len(_handoffs(db, a.id)) for a in accounts]
    sent = max(repeats) + 1
    assert counts == [1 if i < sent else 0 for i in range(3)]


def test_api_reject_without_a_reason_is_422_naming_the_field(client, db, people, config):
    acct = f.account(db, name="Api Co", country="US", owner_id=people.ann.id)
    _mqa(db, acct)
    _, token = auth.create_api_token(db_session=db, user=people.ann, name="t")
    db.flush()
    bearer = {"Authorization": f"Bearer {token}"}
    answer = client.post(
        f"/api/v1/handoff/accounts/{acct.id}/reject", json={"subject": "account"}, headers=bearer
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "reason_code"]
    unknown = client.post(
        f"/api/v1/handoff/accounts/{acct.id}/reject",
        json={"subject": "account", "reason_code": "no_idea"},
        headers=bearer,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "reason_code"]
    assert _handoffs(db, acct.id)[0].status == "open"


def test_a_rep_cannot_accept_another_reps_account_handoff(client, db, people, config):
    acct = f.account(db, name="Ann's Account", country="US", owner_id=people.ann.id)
    _mqa(db, acct)
    _, token = auth.create_api_token(db_session=db, user=people.bob, name="attacker")
    db.flush()
    bearer = {"Authorization": f"Bearer {token}"}
    for verb, body in (("accept", {}), ("reject", {"reason_code": "bad_fit"})):
        answer = client.post(
            f"/api/v1/handoff/accounts/{acct.id}/{verb}", json=body, headers=bearer
        )
        assert answer.status_code == 403, answer.text
    assert client.get(f"/api/v1/handoff/accounts/{acct.id}", headers=bearer).status_code == 403
    db.expire_all()
    assert _handoffs(db, acct.id)[0].status == "open"


def test_a_rep_in_whose_queue_it_is_not_gets_403_from_the_service(db, people, config):
    """Even when the gate lets a rep open the account (e.g. one of its leads is theirs)."""
    acct = f.account(db, name="Shared", country="US", owner_id=people.ann.id)
    _mqa(db, acct)
    try:
        account_service.accept(
            db_session=db, config=config, account_id=acct.id, subject="account",
            user=people.bob, as_of=at(1),
        )  # fmt: skip
    except account_service.NotYours:
        pass
    else:
        raise AssertionError("Bob may not answer Ann's MQA")
    # Her manager may, on her team.
    out = account_service.accept(
        db_session=db, config=config, account_id=acct.id, subject="account",
        user=people.boss, as_of=at(1),
    )  # fmt: skip
    assert out.status == "accepted"


def test_packet_page_shows_the_account_and_the_usage_behind_a_signal(client, db, people, config):
    acct = f.account(db, name="Packet GmbH", country="US", owner_id=people.ann.id)
    champ = f.contact(db, account_id=acct.id, first_name="Cleo", buying_role="champion")
    f.activity(db, champ, "content_download", at(-3))
    _mqa(db, acct)
    _signal(db, acct, rule="limit_80:api_calls", evidence={"metric": "api_calls", "share": 0.82})
    page = signed_in(client, people.ann).get(f"/handoff/accounts/{acct.id}")
    assert page.status_code == 200
    html = page.text
    assert "Packet GmbH" in html and 'id="handoff-account"' in html
    assert 'id="handoff-expansion"' in html and "limit_80:api_calls" in html and "0.82" in html
    assert 'id="coverage-gaps"' in html and "Suggested next step" in html
    data = client.get(f"/api/v1/handoff/accounts/{acct.id}").json()
    assert [v["subject_label"] for v in data["handoffs"]] == ["MQA", "Expansion"]
    assert data["handoffs"][1]["signal"]["signal"]["rule"] == "limit_80:api_calls"
    assert data["packet"]["account"]["name"] == "Packet GmbH"
    queue_html = client.get("/handoff/queue").text
    assert queue_html.count(f'href="/handoff/accounts/{acct.id}"') == 2


def test_page_reject_without_reason_is_422_and_accept_redirects(client, db, people, config):
    acct = f.account(db, name="Form Co", country="US", owner_id=people.ann.id)
    _mqa(db, acct)
    signed_in(client, people.ann)
    refused = client.post(
        f"/handoff/accounts/{acct.id}/reject",
        data={"csrf_token": csrf(client), "subject": "account", "reason_code": ""},
    )
    assert refused.status_code == 422 and "Reason code: choose why" in refused.text
    done = client.post(
        f"/handoff/accounts/{acct.id}/accept",
        data={"csrf_token": csrf(client), "subject": "account"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/handoff/queue?done=accepted-account:{acct.id}"
    db.expire_all()
    assert _handoffs(db, acct.id)[0].status == "accepted"


def test_account_figures_in_the_registry_and_lead_figures_count_leads_only(db, people, config):
    from tandem.analytics.relations import relations
    from tandem.analytics.snapshot import load_facts
    from tandem.metrics import service as metrics
    from tandem.metrics.engine import Engine

    quick = f.account(db, name="Quick", country="US", owner_id=people.ann.id)
    slow = f.account(db, name="Slow", country="US", owner_id=people.ann.id)
    nope = f.account(db, name="Nope", country="US", owner_id=people.ann.id)
    for acct in (quick, slow, nope):
        _mqa(db, acct)
    _signal(db, quick)  # an expansion: not an MQA
    answer = dict(db_session=db, config=config, user=people.ann)
    account_service.accept(account_id=quick.id, subject="account", as_of=at(1), **answer)
    account_service.accept(account_id=slow.id, subject="account", as_of=at(30), **answer)
    account_service.reject(account_id=nope.id, subject="account", reason_code="bad_fit",
                           comment=None, as_of=at(2), **answer)  # fmt: skip
    now = at(48)
    facts = load_facts(db_session=db, loaded_at=now)
    engine = Engine({n: (lambda b=b: b(facts)) for n, (b, _) in relations().items()})
    window = metrics.window(T0.date(), (T0 + dt.timedelta(days=3)).date(), now)

    def value(name, **filters):
        return metrics.figure(engine, name, window, filters or None).value

    assert value("account_handoffs") == 4 and value("account_handoffs", subject="expansion") == 1
    assert round(value("mqa_acceptance_rate"), 4) == round(2 / 3, 4)
    # Accept due Monday 17:00: Quick (10:00) and Nope (11:00) in time, Slow (Tuesday) late.
    assert round(value("mqa_accept_sla"), 4) == round(2 / 3, 4)
    assert value("handed_off") == 0  # no lead was handed off: account handoffs are not MQLs


def test_the_abm_dashboard_shows_mqa_acceptance_and_sla_from_the_registry(client, db, people,
                                                                          config):  # fmt: skip
    from tandem.db import utcnow

    now = utcnow()
    took = f.account(db, name="Took", country="US", owner_id=people.ann.id)
    left = f.account(db, name="Left", country="US", owner_id=people.ann.id)
    for acct in (took, left):
        _mqa(db, acct, when=now - dt.timedelta(days=2))
    answer = dict(db_session=db, config=config, user=people.ann, subject="account")
    account_service.accept(account_id=took.id, as_of=now - dt.timedelta(days=1), **answer)
    account_service.reject(account_id=left.id, reason_code="bad_fit", comment=None,
                           as_of=now - dt.timedelta(days=1), **answer)  # fmt: skip
    signed_in(client, people.boss)
    data = client.get("/api/v1/abm").json()
    rate = {m["name"]: m for m in data["mqa_handoff"]}["mqa_acceptance_rate"]
    assert (rate["label"], rate["value"], rate["rows"]) == ("MQA acceptance rate", 0.5, 2)
    assert "MQA acceptance rate" in client.get("/abm").text


def test_what_sales_is_working_is_not_handed_off_again(db, people, config):
    """An open MQA blocks a second MQA moment; an accepted one does not (a new episode). An
    expansion whose opportunity is open blocks the next week's signal; a churn risk accepted
    blocks until its owner touched the account (the tick then closes it)."""
    acct = f.account(db, name="Busy", country="US", owner_id=people.ann.id)
    ceo = f.contact(db, account_id=acct.id)
    _mqa(db, acct)
    _mqa(db, acct, when=at(3))  # open: not again
    assert len(_handoffs(db, acct.id, "account")) == 1
    answer = dict(db_session=db, config=config, user=people.ann, account_id=acct.id)
    account_service.accept(subject="account", as_of=at(4), **answer)
    _mqa(db, acct, when=at(48))  # accepted: a later MQA moment is a new episode
    assert len(_handoffs(db, acct.id, "account")) == 2
    _signal(db, acct)
    account_service.accept(subject="expansion", as_of=at(4), **answer)
    _signal(db, acct, rule="limit_95:api_calls")  # the expansion deal is open
    assert len(_handoffs(db, acct.id, "expansion")) == 1
    _signal(db, acct, kind="churn_risk", rule="adoption_low")
    account_service.accept(subject="churn_risk", as_of=at(5), **answer)
    _signal(db, acct, kind="churn_risk", rule="trend_falling")
    assert len(_handoffs(db, acct.id, "churn_risk")) == 1
    f.activity(db, ceo, "sales_call", at(6), actor_user_id=people.ann.id)
    tick(db, config, 7)  # records the first touch
    tick(db, config, 8)  # closes the touched, accepted account handoffs
    assert {h.subject: h.status for h in _handoffs(db, acct.id) if h.accepted_at} == {
        "account": "closed", "expansion": "closed", "churn_risk": "closed",
    }  # fmt: skip
    _signal(db, acct, kind="churn_risk", rule="key_feature_unused:reports_run", when=at(9))
    assert len(_handoffs(db, acct.id, "churn_risk")) == 2
    assert accepted_mqas(db, acct.id) == set()  # no stored MQA moment in this test
