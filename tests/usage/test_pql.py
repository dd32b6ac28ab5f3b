"""PQLs: the rule is a versioned definition one team proposes and the other approves; a user
of a trial account whose usage meets it becomes an MQL with cause `pql:<version>` through the
lifecycle, routed by the handoff like any MQL, with the usage behind it in the lead packet; a
user who does not meet it, or whose account pays, stays where they are."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tandem.definitions import service as definitions
from tandem.definitions.service import InvalidDefinition, NotAllowed
from tandem.handoff.models import Handoff
from tandem.lifecycle.models import StageTransition
from tandem.usage import pqls
from tandem.usage.definitions import PQL_RULE, active_pql_rule, default_pql_text
from tandem.usage.models import PqlMatch
from tandem.usage.packet import pql_panel
from tests import factories as f
from tests.handoff.conftest import cache, config, handoff_files, people, settings

from .conftest import count, run_import

__all__ = ["cache", "config", "count", "handoff_files", "people", "run_import", "settings"]
AT = datetime(2026, 6, 10, 12, tzinfo=UTC)


def _approve(db, people, text=None):
    row = definitions.propose(
        db_session=db, kind=PQL_RULE, text=text or default_pql_text(), user=people.mia, at=AT,
        source="test",
    )  # fmt: skip
    return definitions.approve(
        db_session=db, version_id=row.id, user=people.boss, at=AT, kind=PQL_RULE
    )


def test_a_pql_rule_is_proposed_by_one_team_and_approved_by_the_other(db, people):
    assert active_pql_rule(db) is None  # no rule approved: no PQL, ever
    with pytest.raises(NotAllowed):
        definitions.propose(
            db_session=db, kind=PQL_RULE, text=default_pql_text(), user=people.ann, at=AT,
            source="test",
        )  # fmt: skip
    row = definitions.propose(
        db_session=db, kind=PQL_RULE, text=default_pql_text(), user=people.mia, at=AT,
        source="test",
    )  # fmt: skip
    with pytest.raises(NotAllowed):  # the proposer's own team does not approve it
        definitions.approve(db_session=db, version_id=row.id, user=people.mia, at=AT, kind=PQL_RULE)
    definitions.approve(db_session=db, version_id=row.id, user=people.boss, at=AT, kind=PQL_RULE)
    rule, version = active_pql_rule(db)
    assert (version, rule.plans, rule.window_days) == (1, ("free", "trial"), 14)
    bad = (
        "plans: [trial]\nconditions:\n  - {metric: logins, at_least: 5}\n"
        "  - {metric: logins, at_least: 1}\n"
    )
    with pytest.raises(InvalidDefinition) as raised:
        definitions.propose(
            db_session=db, kind=PQL_RULE, text=bad, user=people.mia, at=AT, source="file:r.yaml"
        )
    assert "r.yaml:4" in str(raised.value.issues[0]) and "one per metric" in str(
        raised.value.issues[0]
    )


def _usage(run_import, rows):
    header = "contact_email,metric,value,period_start\n"
    return run_import("user_usage", header + "".join(f"{r}\n" for r in rows))


def test_a_matching_trial_user_becomes_an_mql_routed_with_cause_pql(
    db, people, config, run_import, count
):
    _approve(db, people)
    trial = f.account(db, name="Trialco", domain="trialco.com", country="US")
    paying = f.account(db, name="Payco", domain="payco.com", country="US")
    eve = f.contact(db, email="eve@trialco.com", account_id=trial.id, country="US",
                    lifecycle_stage="lead")  # fmt: skip
    tom = f.contact(db, email="tom@trialco.com", account_id=trial.id, country="US",
                    lifecycle_stage="lead")  # fmt: skip
    pat = f.contact(db, email="pat@payco.com", account_id=paying.id, country="US",
                    lifecycle_stage="lead")  # fmt: skip
    run_import("entitlements", "account_domain,metric,unit,allowance,plan,valid_from\n"
               "trialco.com,active_users,seats,5,trial,2026-05-01\n"
               "payco.com,active_users,seats,5,pro,2026-05-01\n")  # fmt: skip
    _usage(run_import, [
        "eve@trialco.com,logins,3,2026-06-02", "eve@trialco.com,logins,3,2026-06-05",
        "eve@trialco.com,reports_run,1,2026-06-05",
        "tom@trialco.com,logins,9,2026-06-05",  # no report run: the key feature unused
        "pat@payco.com,logins,9,2026-06-05", "pat@payco.com,reports_run,4,2026-06-05",
        "eve@trialco.com,logins,50,2026-05-01",  # outside the 14 days
    ])  # fmt: skip
    run = pqls.evaluate(db, as_of=date(2026, 6, 10), at=AT)
    assert [(m.contact_id, m.evidence) for m in run.found] == [
        (eve.id, {"logins": 6.0, "reports_run": 1.0})
    ]
    assert run.mqls == [eve.id]
    db.expire_all()
    assert (eve.lifecycle_stage, tom.lifecycle_stage, pat.lifecycle_stage) == (
        "mql",
        "lead",
        "lead",
    )
    moved = db.scalar(select(StageTransition).where(StageTransition.contact_id == eve.id))
    assert (moved.from_stage, moved.to_stage, moved.actor) == ("lead", "mql", "pql:1")
    handoff = db.scalar(select(Handoff).where(Handoff.contact_id == eve.id))
    assert (handoff.cause, handoff.owner_id, handoff.rule_id) == ("pql:1", people.ann.id, "us")
    assert db.scalar(select(Handoff).where(Handoff.contact_id.in_([tom.id, pat.id]))) is None
    # Evaluating again changes nothing: a match is kept once per contact and rule version.
    again = pqls.evaluate(db, as_of=date(2026, 6, 10), at=AT)
    assert (len(again.found), again.new, again.mqls) == (1, [], [])
    assert count(PqlMatch) == 1 and count(Handoff) == 1
    panel = pql_panel(db_session=db, facts=lambda: None, contact_id=eve.id, as_of=AT)
    lines = [(i.label, i.detail) for i in panel.items]
    assert lines[0] == ("PQL (rule v1, made an MQL)", "trial plan, matched on 2026-06-10: "
                        "logins 6, reports_run 1")  # fmt: skip
    assert ("reports_run", "1 in the last 28 days") in lines


def test_usage_stored_today_is_evaluated_at_once(db, people, config, run_import):
    """The import publishes which users' usage changed; the rule runs for them on its day."""
    _approve(db, people)
    today = datetime.now(UTC).date()
    free = f.account(db, name="Freeco", domain="freeco.com", country="US")
    ida = f.contact(db, email="ida@freeco.com", account_id=free.id, country="US",
                    lifecycle_stage="subscriber")  # fmt: skip
    run_import("subscriptions", "account_domain,kind,occurred_at,plan\n"
               f"freeco.com,start,{today}T00:00:00Z,free\n")  # fmt: skip
    _usage(run_import, [f"ida@freeco.com,logins,5,{today}"])
    db.expire_all()
    assert ida.lifecycle_stage == "subscriber"  # the key feature not used yet
    _usage(run_import, [f"ida@freeco.com,reports_run,2,{today}"])
    db.expire_all()
    assert ida.lifecycle_stage == "mql"
    assert db.scalar(select(Handoff.cause).where(Handoff.contact_id == ida.id)) == "pql:1"


def test_the_pqls_metric_counts_users_made_mqls_by_plan(db, people, config, run_import):
    from tandem.analytics.snapshot import load_facts
    from tandem.metrics import service as metrics
    from tandem.metrics.engine import engine_for
    from tandem.metrics.spec import Window

    _approve(db, people)
    for n, plan in enumerate(("trial", "free", "free")):
        acct = f.account(db, name=f"A{n}", domain=f"a{n}.com", country="US")
        f.contact(db, email=f"u@a{n}.com", account_id=acct.id, lifecycle_stage="lead")
        run_import("entitlements", "account_domain,metric,unit,allowance,plan,valid_from\n"
                   f"a{n}.com,active_users,seats,5,{plan},2026-05-01\n")  # fmt: skip
        _usage(run_import, [f"u@a{n}.com,logins,5,2026-06-05",
                            f"u@a{n}.com,reports_run,{n},2026-06-05"])  # fmt: skip
    assert len(pqls.evaluate(db, as_of=date(2026, 6, 10), at=AT).mqls) == 2  # A0 ran no report
    later = datetime(2026, 7, 1, tzinfo=UTC)
    engine = engine_for(load_facts(db_session=db, loaded_at=later))
    june = Window(date(2026, 6, 1), date(2026, 7, 1), later)
    assert metrics.figure(engine, "pqls", june).value == 2
    by_plan = metrics.figure(engine, "pqls", june, by="plan")
    assert {p.value: p.figure for p in by_plan.breakdown} == {"free": 2}
    may = Window(date(2026, 5, 1), date(2026, 6, 1), later)
    assert metrics.figure(engine, "pqls", may).value == 0


def test_the_queue_and_the_packet_show_the_pql_and_the_usage_behind_it(
    client, db, people, config, run_import
):
    from tests.handoff.test_pages import signed_in

    _approve(db, people)
    trial = f.account(db, name="Trialco", domain="trialco.com", country="US")
    eve = f.contact(db, email="eve@trialco.com", first_name="Eve", last_name="Trial",
                    account_id=trial.id, country="US", lifecycle_stage="lead")  # fmt: skip
    run_import("entitlements", "account_domain,metric,unit,allowance,plan,valid_from\n"
               "trialco.com,active_users,seats,5,trial,2026-05-01\n")  # fmt: skip
    _usage(run_import, ["eve@trialco.com,logins,7,2026-06-05",
                        "eve@trialco.com,reports_run,2,2026-06-05"])  # fmt: skip
    assert pqls.evaluate(db, as_of=date(2026, 6, 10), at=AT).mqls == [eve.id]
    html = signed_in(client, people.ann).get("/handoff/queue").text
    row = html.split(f'data-contact="{eve.id}"')[1].split("</tr>")[0]
    assert ">PQL</span>" in row and "pql:1" in row
    packet = client.get(f"/api/v1/handoff/leads/{eve.id}").json()
    (usage,) = [s for s in packet["sections"] if s["id"] == "product-usage"]
    assert usage["items"][0] == {
        "label": "PQL (rule v1, made an MQL)",
        "detail": "trial plan, matched on 2026-06-10: logins 7, reports_run 2",
        "url": None,
    }
    page = client.get(f"/handoff/leads/{eve.id}").text
    assert "Product usage" in page and "logins 7, reports_run 2" in page
