"""Usage in through the imports, health and signals stored, the model as a definition."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from tandem.analytics.snapshot import load_facts
from tandem.auth.roles import Role
from tandem.definitions import service as definitions
from tandem.ingest import jobs
from tandem.usage import service, views
from tandem.usage.definitions import HEALTH_MODEL, active_model, default_text
from tandem.usage.models import Entitlement, HealthScore, SubscriptionEvent, UsageFact, UsageSignal
from tests import factories as f

from .conftest import ENTITLEMENTS, SUBSCRIPTIONS, usage_csv, with_usage


def _errors(db, job):
    found = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    return [(e["line"], e["field"], e["reason"]) for e in found]


def test_entitlements_quarantine_rows_without_unit_unknown_accounts_and_negative_limits(
    db, run_import, count, customers
):
    job = run_import("entitlements", ENTITLEMENTS)
    assert (job["rows_new"], job["rows_quarantined"]) == (1, 3)
    assert _errors(db, job) == [
        (3, "unit", "required value is missing"),
        (4, "account", "no account matches (import the accounts first)"),
        (5, "allowance", "must not be negative"),
    ]
    again = run_import("entitlements", ENTITLEMENTS)
    assert (again["rows_new"], again["rows_unchanged"]) == (0, 1)
    row = db.scalar(select(Entitlement))
    assert (row.metric, row.unit, row.allowance, row.renewal_on) == (
        "active_users", "seats", 10.0, date(2026, 12, 31),
    )  # fmt: skip


def test_subscriptions_and_usage_import_idempotently_and_refuse_bad_rows(
    db, run_import, count, customers
):
    job = run_import("subscriptions", SUBSCRIPTIONS)
    assert (job["rows_new"], job["rows_quarantined"]) == (4, 1)
    assert _errors(db, job)[0][:2] == (6, "kind")
    assert run_import("subscriptions", SUBSCRIPTIONS)["rows_new"] == 0
    assert count(SubscriptionEvent) == 4
    usage = usage_csv("acme.com", [5, 6, -1])
    job = run_import("usage", usage)
    assert (job["rows_new"], job["rows_quarantined"]) == (2, 1)
    assert _errors(db, job) == [(4, "value", "must not be negative")]
    # The same period again (a corrected value) updates the one fact.
    job = run_import("usage", usage.replace(",6,", ",7,"))
    assert (job["rows_new"], job["rows_updated"]) == (0, 1)
    assert count(UsageFact) == 2


def test_scoring_stores_health_and_raises_each_signal_once_a_week(db, run_import, customers):
    with_usage(run_import)
    acme, _ = customers
    at = datetime(2026, 6, 28, 12, tzinfo=UTC)
    run = service.score_and_store(db, as_of=date(2026, 6, 28), at=at)
    stored = db.scalar(select(HealthScore).where(HealthScore.account_id == acme.id))
    assert stored.score == round(sum(p["points"] for p in stored.parts), 2)
    assert stored.scorecard == "default"
    rules = set(db.scalars(select(UsageSignal.rule).where(UsageSignal.account_id == acme.id)))
    assert {"limit_100:active_users", "seats_full", "growth_above_plan"} <= rules
    assert run.new_signals == db.scalar(select(func.count()).select_from(UsageSignal))
    again = service.score_and_store(db, as_of=date(2026, 6, 28), at=at)
    assert again.new_signals == 0
    assert db.scalar(select(func.count()).select_from(HealthScore)) == run.health.scores.height
    packet = views.signal_packet(
        db,
        signal_id=db.scalar(select(UsageSignal.id).where(UsageSignal.rule == "seats_full")),
        as_of=at,
    )
    assert packet.signal.evidence["used"] == 12.0 and packet.signal.account_name == "Acme"
    assert [p.points for p in packet.account.parts] == [p["points"] for p in stored.parts]


def test_retention_tiles_equal_a_recount(db, run_import, customers):
    with_usage(run_import)
    at = datetime(2026, 6, 30, tzinfo=UTC)
    facts = load_facts(db_session=db, loaded_at=at)
    vm = views.customers_view(db, as_of=at, days=180, facts=facts)
    tiles = {t.name: t.value for t in vm.tiles}
    # At the start (2026-01-01) nobody paid yet: the cohort is empty.
    assert tiles["gross_revenue_retention"] is None
    vm = views.customers_view(db, as_of=at, days=120, facts=facts)
    tiles = {t.name: t.value for t in vm.tiles}
    # Cohort on 2026-03-02: Acme 1,000 and Beta 800; Acme +500, Beta churned 800.
    assert tiles["gross_revenue_retention"] == pytest.approx((1800 - 800) / 1800)
    assert tiles["net_revenue_retention"] == pytest.approx((1800 + 500 - 800) / 1800)
    assert tiles["logo_churn"] == 0.5
    assert tiles["expansion_mrr"] == 500  # Acme's upgrade


def test_the_health_model_is_a_definition_both_teams_approve(db):
    marketer, manager = f.user(db, Role.MARKETER), f.user(db, Role.SALES_MANAGER)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    assert active_model(db)[1] == 0
    broken = default_text().replace("weight: 35", "weight: 30")
    with pytest.raises(definitions.InvalidDefinition) as caught:
        definitions.propose(
            db_session=db, kind=HEALTH_MODEL, text=broken, user=marketer, at=at, source="test"
        )
    assert "<health_model>:10: error: scorecards.default.components: weights sum to 95" in str(
        caught.value
    )
    row = definitions.propose(
        db_session=db, kind=HEALTH_MODEL, text=default_text().replace("healthy: 70", "healthy: 75"),
        user=marketer, at=at, source="test",
    )  # fmt: skip
    with pytest.raises(definitions.NotAllowed):
        definitions.approve(
            db_session=db, version_id=row.id, user=marketer, at=at, kind=HEALTH_MODEL
        )
    definitions.approve(db_session=db, version_id=row.id, user=manager, at=at, kind=HEALTH_MODEL)
    model, version = active_model(db)
    assert (model.bands.healthy, version) == (75, 1)


def test_each_new_signal_is_announced_once_for_the_handoff(db, run_import, customers):
    from tandem.events import BUS_KEY, EventBus, UsageSignalsRaised

    with_usage(run_import)
    heard = []
    db.info[BUS_KEY] = EventBus([(UsageSignalsRaised, lambda _s, e: heard.append(e))])
    at = datetime(2026, 6, 28, 12, tzinfo=UTC)
    service.score_and_store(db, as_of=date(2026, 6, 28), at=at)
    service.score_and_store(db, as_of=date(2026, 6, 28), at=at)
    (event,) = heard
    stored = db.execute(select(UsageSignal.id, UsageSignal.rule).order_by(UsageSignal.id)).all()
    assert [(s.signal_id, s.rule) for s in event.signals] == [tuple(r) for r in stored]


def test_registry_figures_equal_a_recount_of_the_subscription_history(db, run_import, customers):
    from tandem.analytics.snapshot import load_facts
    from tandem.metrics import service as metrics
    from tandem.metrics.engine import engine_for
    from tandem.metrics.spec import Window

    with_usage(run_import)
    facts = load_facts(db_session=db, loaded_at=datetime(2026, 7, 1, tzinfo=UTC))
    engine = engine_for(facts)
    half = Window(date(2026, 1, 1), date(2026, 7, 1), datetime(2026, 7, 1, tzinfo=UTC))
    names = ("expansion_mrr", "churned_mrr", "customers_churned", "new_mrr")
    got = {n: metrics.figure(engine, n, half).value for n in names}
    # SUBSCRIPTIONS: starts 1,000 + 800 on Jan 1, Acme +500 on Apr 1, Beta churns 800 on May 15.
    assert got == {"expansion_mrr": 500, "churned_mrr": 800, "customers_churned": 1,
                   "new_mrr": 1800}  # fmt: skip
    spring = Window(date(2026, 4, 2), date(2026, 7, 1), datetime(2026, 7, 1, tzinfo=UTC))
    by_segment = metrics.figure(engine, "churned_mrr", spring, by="segment")
    assert {p.value: p.figure for p in by_segment.breakdown} == {"enterprise": 800}


def test_a_churned_customer_is_not_scored_again(db, run_import, customers):
    with_usage(run_import)
    acme, beta = customers
    before = service.compute(db, as_of=date(2026, 5, 1))
    after = service.compute(db, as_of=date(2026, 6, 28))
    assert set(before.health.scores["account_id"]) == {acme.id, beta.id}
    assert set(after.health.scores["account_id"]) == {acme.id}  # Beta churned on May 15
    assert {s.account_id for s in after.signals} == {acme.id}
