"""The accounts' registry figures (tandem.accounts.metrics) equal a recount of the store's
rows, read through the columnar copy exactly as pages and the weekly review read them."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tandem.accounts import journey, lists, scores
from tandem.accounts.definitions import TARGET_ACCOUNTS
from tandem.accounts.models import Account, AccountScore, AccountStageSnapshot
from tandem.analytics.relations import relations
from tandem.analytics.snapshot import load_facts
from tandem.db import utcnow
from tandem.metrics import service
from tandem.metrics.engine import Engine
from tests import factories as f
from tests.accounts.test_store import approve

LIST = """
rules:
  - {id: big, tier: 1, where: [{field: account.employees, op: range, min: 1000}]}
  - {id: mid, tier: 2, where: [{field: account.employees, op: range, min: 100, max: 1000}]}
"""


def test_account_figures_equal_a_recount(db):
    now = utcnow()
    accounts = []
    for i in range(9):
        acct = f.account(db, employees=[50, 500, 5000][i % 3], industry="software")
        accounts.append(acct)
        for k in range(i % 4):
            person = f.contact(
                db, account_id=acct.id, buying_role=["champion", "user", "unknown"][k % 3]
            )
            f.activity(db, person, "meeting", at=now - timedelta(days=5 + 20 * k))
        if i % 4 == 3:
            f.opportunity(db, acct)
    scores.score_accounts(db, [a.id for a in accounts], as_of=now)
    approve(db, TARGET_ACCOUNTS, LIST)
    lists.apply(db, on=now.date())
    journey.snapshot(db, day=now.date())
    facts = load_facts(db_session=db, loaded_at=now)
    engine = Engine({n: (lambda b=b: b(facts)) for n, (b, _) in relations().items()})
    at = service.window(now.date() - timedelta(days=30), now.date() + timedelta(days=1), now)

    rows = db.execute(
        select(
            Account.id,
            Account.is_target,
            Account.tier,
            AccountScore.last_touch_at,
            AccountScore.mqa_at,
            AccountScore.coverage,
            AccountStageSnapshot.stage,
        )
        .join(AccountScore, AccountScore.account_id == Account.id)
        .join(AccountStageSnapshot, AccountStageSnapshot.account_id == Account.id)
        .where(Account.id.in_([a.id for a in accounts]))
    ).all()
    targets = [r for r in rows if r.is_target]
    assert service.figure(engine, "target_accounts", at).value == len(targets) == 6
    engaged = [r for r in rows if r.last_touch_at and r.last_touch_at > now - timedelta(days=30)]
    assert service.figure(engine, "engaged_accounts", at).value == len(engaged) > 0
    mqas = [
        r for r in rows if r.mqa_at is not None and at.start_s <= r.mqa_at.timestamp() < at.stop_s
    ]
    assert service.figure(engine, "mqa_accounts", at).value == len(mqas)
    in_pipeline = [r for r in targets if r.stage in ("opportunity", "customer")]
    share = service.figure(engine, "target_accounts_in_pipeline", at)
    assert share.value == len(in_pipeline) / len(targets) and share.rows == 6
    coverage = service.figure(engine, "target_account_coverage", at)
    assert Decimal(str(coverage.value)).quantize(Decimal("0.01")) == (
        sum(r.coverage for r in targets) / len(targets)
    ).quantize(Decimal("0.01"))
    by_tier = service.figure(engine, "target_accounts", at, by="tier")
    assert {p.value: p.figure for p in by_tier.breakdown} == {
        t: sum(r.tier == t for r in targets) for t in ("1", "2")
    }
    assert service.figure(engine, "target_accounts", at, {"tier": "1"}).value == 3


def test_stage_conversion_and_days_in_stage_per_tier_equal_the_snapshot_report(db):
    """The registry's account funnel (from the `account_stays` relation) against
    `journey.report`, the pure reading of the same daily snapshots."""
    from tandem.analytics.snapshot import load_facts as facts_of
    from tandem.metrics.engine import engine_for

    now = utcnow()
    first = now.date() - timedelta(days=20)
    paths = {  # (tier, stage per day); every day is snapshotted, as the daily task does
        1: (1, ["aware"] * 2 + ["engaged"] * 3 + ["mqa"] * 4),
        2: (1, ["aware"] + ["engaged"] * 6),
        3: (2, ["engaged"] * 3 + ["aware"] * 1 + ["opportunity"] * 5),
        4: (2, ["unaware"] * 8),
        5: (None, ["aware"] * 2 + ["unaware"] * 2),
    }
    ids = {}
    for key, (tier, days) in paths.items():
        acct = f.account(db, tier=tier)
        ids[key] = acct.id
        for i, stage in enumerate(days):
            db.add(AccountStageSnapshot(account_id=acct.id, day=first + timedelta(days=i),
                                        stage=stage, tier=tier))  # fmt: skip
    db.flush()
    engine = engine_for(facts_of(db_session=db, loaded_at=now))
    at = service.window(first - timedelta(days=1), now.date(), now)
    report = {(r.tier, r.stage): r for r in journey.report(db)}
    for tier in ("1", "2", "none"):
        conversion = service.figure(engine, "account_stage_conversion", at, {"tier": tier}, "stage")
        got = {p.value: (p.rows, p.numerator) for p in conversion.breakdown}
        want = {
            stage: (r.entered, r.advanced)
            for (t, stage), r in report.items()
            if t == tier and r.entered
        }
        assert got == want, tier
    # Aware moved on to engaged (1, 2) and opportunity (3); #5 fell back to unaware.
    aware = service.figure(engine, "account_stage_conversion", at, {"stage": "aware"})
    assert (aware.rows, aware.numerator) == (4, 3)
    days = service.figure(engine, "account_days_in_stage", at, {"stage": "engaged"})
    assert (days.rows, days.value, days.unknown) == (2, 3.0, 0)  # stays of 3 days each; #2 open
