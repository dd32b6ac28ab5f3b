"""The report: totals that reconcile to the cent, ROI arithmetic, filters, unattributed deals."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.attribution import default_config
from tandem.attribution.report import build_report
from tandem.attribution.schemas import AttributionFilters
from tests import factories as f
from tests.factories import T0

from . import world

CHANNELS = ("email", "paid_search", "webinar", "sales_outreach", "direct")


def report(db, **filters):
    return build_report(
        db_session=db, filters=AttributionFilters(**filters), config=default_config()
    )


def assert_reconciles(built, expected_total):
    assert built.total == expected_total
    for model in (m.name for m in built.models):
        assert built.attributed[model] + built.unattributed_total == built.total, model
        for breakdown in built.breakdowns:
            summed = sum((r.credits[model] for r in breakdown.rows), Decimal("0"))
            assert summed + built.unattributed_total == built.total, (breakdown.dimension, model)


def test_every_dimension_and_model_adds_up_to_won_revenue(db):
    world.build(db)
    built = report(db)
    assert_reconciles(built, Decimal("12500.00"))
    assert built.opportunities == 2 and built.learning_only == 1  # W and N; L only teaches
    assert built.unattributed_total == Decimal("2500.00")


def test_deal_without_touches_is_reported_not_given_a_channel(db):
    w = world.build(db)
    built = report(db)
    assert [(d.opportunity_id, d.amount) for d in built.unattributed] == [
        (w.bare.id, Decimal("2500.00"))
    ]
    channels = next(b for b in built.breakdowns if b.dimension == "channel")
    assert {r.key for r in channels.rows} == {"paid_search", "webinar", "organic_search",
                                              "sales_outreach"}  # fmt: skip


def test_campaign_roi_arithmetic(db):
    w = world.build(db)
    roi = {r.campaign_id: r for r in report(db).roi}
    ads, webinar = roi[w.ads.id], roi[w.webinar.id]
    # Ads touched ann (MQL, then SQL) and W; its first touch won W's 10,000 under first touch.
    assert (ads.mqls, ads.sqls, ads.opportunities, ads.won) == (1, 1, 1, 1)
    assert ads.cost_per_mql == ads.cost_per_sql == ads.cost_per_won == Decimal("500.00")
    assert ads.attributed["first_touch"] == Decimal("10000.00")
    assert ads.roi["first_touch"] == Decimal("20.0000") and ads.roi["last_touch"] == 0
    # The webinar touched W and the lost L; linear gives it a quarter of W, U-shaped 10%.
    assert (webinar.mqls, webinar.opportunities, webinar.won) == (0, 2, 1)
    assert webinar.cost_per_mql is None and webinar.cost_per_opportunity == Decimal("500.00")
    assert webinar.attributed["linear"] == Decimal("2500.00")
    assert webinar.roi["linear"] == Decimal("2.5000") and webinar.roi["u_shaped"] == 1


def test_date_range_and_segment_filters(db):
    world.build(db)
    late = report(db, start=(T0 + timedelta(days=45)).date())  # only N closed after that
    assert late.total == Decimal("2500.00") and late.unattributed_total == late.total
    enterprise = report(db, segment="enterprise")
    assert enterprise.total == Decimal("10000.00") and enterprise.unattributed == []
    pipeline = report(db, basis="pipeline", end=(T0 + timedelta(days=5)).date())  # W and N
    assert_reconciles(pipeline, Decimal("12500.00"))
    assert report(db, region="nowhere").total == 0


deal = st.tuples(
    st.integers(min_value=0, max_value=5_000_000),  # cents
    st.booleans(),  # won
    st.lists(
        st.tuples(st.sampled_from(CHANNELS), st.integers(min_value=-200, max_value=5)),
        max_size=5,
    ),
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deals=st.lists(deal, min_size=1, max_size=4))
def test_totals_equal_won_revenue_for_any_deals(db, deals):
    savepoint = db.begin_nested()  # each example starts from an empty store
    try:
        account = f.account(db)
        won_total = Decimal("0")
        for cents, won, touches in deals:
            person = f.contact(db, account_id=account.id)
            for channel, day in touches:
                f.activity(db, person, "email_click", T0 + timedelta(days=day), channel=channel)
            amount = Decimal(cents) / 100
            f.opportunity(
                db, account, amount=amount, created_at=T0, closed_at=T0 + timedelta(days=9),
                is_closed=True, is_won=won, contacts=[(person, "user")],
            )  # fmt: skip
            won_total += amount if won else 0
        assert_reconciles(report(db), won_total.quantize(Decimal("0.01")))
    finally:
        savepoint.rollback()
