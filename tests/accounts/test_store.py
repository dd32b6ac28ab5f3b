"""Accounts in the store: target lists (approved versions, membership history), committees
(imports, title guesses, the rep's word, bad input), the incremental account score on
`ActivitiesStored` (with the MQA moment), the daily stage snapshot and its conversion."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tandem.accounts import committees, journey, lists, scores
from tandem.accounts.definitions import ACCOUNT_SCORE, TARGET_ACCOUNTS, default_text
from tandem.accounts.errors import InvalidInput
from tandem.accounts.events import AccountsQualified
from tandem.accounts.models import AccountScore, AccountStageSnapshot, TargetMembership
from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.definitions import service as definitions
from tandem.events import ActivitiesStored, StoredActivity, bus_of, publish
from tests import factories as f

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def approve(db, kind, text):
    marketer = f.user(db, Role.MARKETER)
    manager = f.user(db, Role.SALES_MANAGER)
    row = definitions.propose(
        db_session=db, kind=kind, text=text, user=marketer, at=NOW, source="test"
    )
    definitions.approve(db_session=db, version_id=row.id, user=manager, at=NOW, kind=kind)
    return row


LIST_V1 = """
rules:
  - id: big
    tier: 1
    where:
      - {field: account.employees, op: range, min: 1000}
  - id: pipeline
    tier: 3
    where:
      - {field: account.open_pipeline, op: range, min: 1}
members:
  - {domain: hand.example.com, tier: 2}
capacity: {1: 1}
"""


def test_a_target_list_applies_with_tiers_and_keeps_membership_history(db):
    rep = f.user(db, Role.SALES_REP)
    big1 = f.account(db, employees=5000, owner_id=rep.id)
    big2 = f.account(db, employees=2000, owner_id=rep.id)
    small = f.account(db, employees=10)
    hand = f.account(db, employees=10, domain="hand.example.com")
    deal = f.account(db, employees=50)
    f.opportunity(db, deal, amount=Decimal("500"))
    approve(db, TARGET_ACCOUNTS, LIST_V1)
    first = lists.apply(db, on=date(2026, 5, 1))
    assert first["members"] == 4 and first["by_tier"] == {1: 2, 2: 1, 3: 1}
    assert first["warnings"] == [f"{rep.email} has 2 tier 1 accounts (capacity 1)"]
    assert (big1.is_target, big1.tier, small.is_target, hand.tier) == (True, "1", False, "2")
    # Version 2 drops the big accounts to tier 2 and the hand-picked one.
    approve(
        db,
        TARGET_ACCOUNTS,
        LIST_V1.replace("tier: 1\n", "tier: 2\n").replace(
            "members:\n  - {domain: hand.example.com, tier: 2}\n", ""
        ),
    )
    second = lists.apply(db, on=date(2026, 5, 20))
    assert second["list"].endswith("@2") and second["joined"] == 2 and second["left"] == 3
    assert lists.members_on(db, date(2026, 5, 10)) == {
        big1.id: 1,
        big2.id: 1,
        hand.id: 2,
        deal.id: 3,
    }
    assert lists.members_on(db, date(2026, 5, 20)) == {big1.id: 2, big2.id: 2, deal.id: 3}
    assert [(h["version"], h["tier"], h["left_on"]) for h in lists.history(db, big1.id)] == [
        (1, 1, "2026-05-20"),
        (2, 2, None),
    ]
    assert hand.is_target is False
    # Applying again changes nothing.
    again = lists.apply(db, on=date(2026, 5, 21))
    assert (again["joined"], again["left"]) == (0, 0)
    assert db.scalar(select(func.count()).select_from(TargetMembership)) == 6


def test_a_list_rule_on_an_unknown_field_or_account_is_refused_at_its_line(db):
    marketer = f.user(db, Role.MARKETER)
    text = LIST_V1.replace("account.employees", "account.headcount")
    with pytest.raises(definitions.InvalidDefinition) as exc:
        definitions.propose(
            db_session=db,
            kind=TARGET_ACCOUNTS,
            text=text,
            user=marketer,
            at=NOW,
            source="file:list.yaml",
        )
    assert str(exc.value.issues[0]).startswith(
        "list.yaml:6: error: rules[0].where[0].field: unknown field 'account.headcount'"
    )
    with pytest.raises(
        definitions.InvalidDefinition,
        match=r"list.yaml:12: error: members\[0\]: no account with domain",
    ):
        definitions.propose(
            db_session=db,
            kind=TARGET_ACCOUNTS,
            text=LIST_V1,
            user=marketer,
            at=NOW,
            source="file:list.yaml",
        )


def test_a_csv_becomes_a_proposal_or_names_its_bad_rows(db):
    f.account(db, domain="a.example.com")
    f.account(db, name="Bee Ltd", domain="bee.example.com")
    text = lists.csv_proposal(db, "domain,name,tier\na.example.com,,1\n,Bee Ltd,3\n")
    assert "domain: a.example.com" in text and "name: Bee Ltd" in text
    with pytest.raises(InvalidInput) as exc:
        lists.csv_proposal(db, "domain,tier\na.example.com,4\nnone.example.com,1\n")
    assert exc.value.problems == [
        "row 2: tier '4' is not 1, 2 or 3",
        "row 3: no account with domain 'none.example.com'",
    ]


def test_committee_roles_from_imports_titles_and_the_rep(db):
    acct = f.account(db)
    other = f.account(db)
    ceo = f.contact(db, account_id=acct.id, title="Chief Executive Officer")
    vp = f.contact(db, account_id=acct.id, title="VP Marketing", buying_role="influencer")
    eng = f.contact(db, account_id=acct.id, title="Solutions Architect")
    stranger = f.contact(db, account_id=other.id, title="CFO")
    opp = f.opportunity(db, acct, contacts=[(eng, "Technical Buyer")])
    f.activity(db, ceo, "meeting", at=NOW - timedelta(days=3))
    f.activity(db, vp, "page_view", at=NOW - timedelta(days=3))
    counts = committees.sync(db, [acct.id])
    assert counts == {"imported": 1, "deal_roles": 1, "guessed": 2}
    members, cover = committees.committee(db, acct.id, as_of=NOW)
    by_id = {m.contact_id: m for m in members}
    assert (by_id[ceo.id].role, by_id[ceo.id].confidence, by_id[ceo.id].source) == (
        "decision_maker",
        80,
        "title:chief",
    )
    assert (by_id[vp.id].role, by_id[vp.id].source) == ("influencer", "import:hubspot")
    assert cover.covered == ("decision_maker",)
    assert cover.present_not_engaged == ("technical_evaluator",)
    assert cover.missing == ("economic_buyer", "champion", "technical_evaluator")
    assert [m.contact_id for m in cover.suggestions["champion"]] == [vp.id]  # "VP": likely champion
    # The rep confirms the VP as champion; a later sync does not overwrite the rep's word.
    committees.assign(db, account_id=acct.id, contact_id=vp.id, role="champion", user_id=None)
    committees.sync(db, [acct.id])
    members, cover = committees.committee(db, acct.id, as_of=NOW)
    assert {m.contact_id: m.role for m in members}[vp.id] == "champion"
    assert cover.covered == ("decision_maker", "champion")
    # On the deal, the imported Salesforce role counts.
    _, deal_cover = committees.committee(db, acct.id, opportunity_id=opp.id, as_of=NOW)
    assert "technical_evaluator" in deal_cover.present_not_engaged
    with pytest.raises(InvalidInput, match="role 'wizard' is not a configured buying role"):
        committees.assign(db, account_id=acct.id, contact_id=vp.id, role="wizard", user_id=None)
    with pytest.raises(InvalidInput, match=f"contact {stranger.id} does not belong to account"):
        committees.assign(
            db, account_id=acct.id, contact_id=stranger.id, role="champion", user_id=None
        )


def test_an_activity_updates_its_accounts_score_and_the_mqa_moment_is_published(db):
    now = utcnow()  # the handler scores as of the clock
    acct = f.account(db, industry="software", employees=100)
    people = [
        f.contact(db, account_id=acct.id, buying_role=r)
        for r in ("decision_maker", "champion", "influencer")
    ]
    for p in people:
        for day in range(3):
            f.activity(db, p, "meeting", at=now - timedelta(days=day + 1))
    qualified = []
    bus_of(db).subscribe(AccountsQualified, lambda _s, e: qualified.append(e))
    scores.score_accounts(db, [acct.id], as_of=now - timedelta(hours=1))
    before = db.get(AccountScore, acct.id)
    assert (before.total, before.is_mqa, before.people_engaged) == (Decimal("53.50"), False, 3)
    late = f.contact(db, account_id=acct.id, title="CFO", buying_role="decision_maker")
    new = f.activity(db, late, "demo_request", at=now - timedelta(minutes=5))
    committees.assign(
        db, account_id=acct.id, contact_id=late.id, role="economic_buyer", user_id=None
    )
    publish(db, ActivitiesStored([StoredActivity(new.id, late.id, new.type, new.occurred_at)]))
    db.expire_all()
    after = db.get(AccountScore, acct.id)
    assert (after.total, after.people_engaged) == (Decimal("61.25"), 4)  # +people, roles, coverage
    assert sum(Decimal(p["points"]) for p in after.parts) == after.total
    assert after.is_mqa is True and after.mqa_at is not None
    assert [e.account_ids for e in qualified] == [[acct.id]]
    assert qualified[0].cause == "activity"


def test_the_score_model_is_a_jointly_approved_definition(db):
    acct = f.account(db, industry="software", employees=5000)
    scores.score_accounts(db, [acct.id], as_of=NOW)
    assert db.get(AccountScore, acct.id).model_version == "account_score@default"
    approve(db, ACCOUNT_SCORE, default_text("account_score").replace("points: 20}", "points: 5}"))
    scores.score_accounts(db, [acct.id], as_of=NOW)
    row = db.get(AccountScore, acct.id)
    assert row.model_version == "account_score@1" and row.fit == Decimal("15.00")


def test_the_daily_snapshot_is_idempotent_and_gives_conversion_and_time_in_stage(db):
    a = f.account(db, tier="1")
    b = f.account(db, tier="1")
    c = f.account(db)
    contact = f.contact(db, account_id=a.id)
    for day, stage_moves in enumerate([date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)]):
        if day == 1:
            f.activity(db, contact, "page_view", at=NOW - timedelta(days=1))
            scores.score_accounts(db, [a.id], as_of=NOW)
        if day == 2:
            f.opportunity(db, a)
        journey.snapshot(db, day=stage_moves)
    assert journey.snapshot(db, day=date(2026, 5, 3))["accounts"] == 3  # again: replaced
    assert db.scalar(select(func.count()).select_from(AccountStageSnapshot)) == 9
    assert [(s.stage, s.start, s.end) for s in journey.history(db, a.id)] == [
        ("unaware", date(2026, 5, 1), date(2026, 5, 1)),
        ("aware", date(2026, 5, 2), date(2026, 5, 2)),
        ("opportunity", date(2026, 5, 3), date(2026, 5, 3)),
    ]
    rows = {(r.tier, r.stage): r for r in journey.report(db)}
    assert (rows[("1", "unaware")].entered, rows[("1", "unaware")].advanced) == (2, 1)
    assert rows[("1", "unaware")].mean_days == 1.0
    assert rows[("1", "aware")].conversion == 1.0
    assert (rows[("none", "unaware")].entered, rows[("none", "unaware")].advanced) == (1, 0)
    assert journey.current(db)[b.id] == "unaware" and journey.current(db)[c.id] == "unaware"


def test_intent_signals_import_and_count_in_the_score(db):
    acct = f.account(db, domain="intent.example.com")
    now = utcnow()
    from tandem.accounts import signals

    text = (
        "domain,topic,strength,observed_at\n"
        f"intent.example.com,CRM,80,{(now - timedelta(days=2)).isoformat()}\n"
        f"intent.example.com,crm,30,{(now - timedelta(days=2)).isoformat()}\n"
        f"intent.example.com,pricing,100,{(now - timedelta(days=40)).isoformat()}\n"
    )
    assert signals.import_csv(db, text) == 3
    [score] = scores.score_accounts(db, [acct.id], as_of=now)
    # One CRM signal is strong enough (min_strength 50); the pricing one is out of the window.
    assert [(p.id, p.points) for p in score.parts if p.section == "intent"] == [
        ("category", Decimal("3.00"))
    ]
    with pytest.raises(InvalidInput) as exc:
        signals.import_csv(
            db,
            "domain,topic,strength,observed_at\nnope.example.com,crm,5,2026-01-01\n"
            "intent.example.com,crm,500,2026-01-01\n",
        )
    assert exc.value.problems == [
        "row 2: no account with domain 'nope.example.com'",
        "row 3: needs a topic and a strength 0-100",
    ]


def test_the_weekly_review_section(db):
    from tandem.accounts import review
    from tandem.analytics.periods import week_of

    a = f.account(db, tier="1")
    f.account(db)
    contact = f.contact(db, account_id=a.id)
    for day in range(3):
        f.activity(db, contact, "meeting", at=NOW - timedelta(days=day + 1))
    scores.score_accounts(db, [a.id], as_of=NOW)
    journey.snapshot(db, day=NOW.date() - timedelta(days=1))
    week = week_of(NOW.date() - timedelta(days=3))
    tiers, new = review.sections(db_session=db, facts=None, week=week, as_of=NOW)
    assert tiers.table.rows == [
        ["not targeted", "1", "0", "0", "0", "0", "0"],
        ["tier 1", "0", "1", "0", "0", "0", "0"],
    ]  # one person: aware
    assert tiers.table.columns == [
        "tier",
        "unaware",
        "aware",
        "engaged",
        "mqa",
        "opportunity",
        "customer",
    ]
    assert new.table.rows[0][1] == "0"
