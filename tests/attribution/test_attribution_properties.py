"""Property: under every model, each converted journey's credits sum to its amount exactly."""

from datetime import timedelta
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.attribution import (
    AttributionConfig,
    Journey,
    Touchpoint,
    attribute,
    attribute_journey,
    available,
)
from tandem.attribution.touchpoints import MILESTONES

from .conftest import T0

touch_spec = st.tuples(
    st.sampled_from(["email", "paid_search", "webinar", "sales_outreach", "direct"]),
    st.integers(0, 10_000),  # minutes after the previous touch
    st.frozensets(st.sampled_from(MILESTONES), max_size=2),
    st.sampled_from(["marketing", "sales", "product"]),
)
journey_spec = st.tuples(
    st.lists(touch_spec, max_size=12),
    st.integers(0, 10**11),  # cents
    st.booleans(),
)


def build(specs) -> list[Journey]:
    journeys, activity = [], 0
    for opp, (touches, cents, converted) in enumerate(specs):
        at, items = T0, []
        for channel, minutes, milestones, team in touches:
            at += timedelta(minutes=minutes)
            activity += 1
            items.append(
                Touchpoint(
                    activity,
                    at,
                    channel,
                    campaign_id=f"c{activity % 3}",
                    team=team,
                    milestones=milestones,
                )
            )
        journeys.append(Journey(opp, Decimal(cents).scaleb(-2), tuple(items), converted))
    return journeys


def with_custom(config: AttributionConfig) -> AttributionConfig:
    return AttributionConfig.model_validate(
        {
            **config.model_dump(),
            "custom_models": {
                "odd": {"position:2": 35, "lead_creation": 25, "close": 15, "rest": 25}
            },
        }
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(journey_spec, min_size=1, max_size=8))
def test_every_model_credits_sum_to_the_amount_to_the_cent(config, specs):
    config = with_custom(config)
    journeys = build(specs)
    result = attribute(journeys, config=config)
    assert result.models == available(config)
    sums = result.credits.group_by("opportunity_id").agg(pl.col(list(result.models)).sum())
    by_opp = {row["opportunity_id"]: row for row in sums.iter_rows(named=True)}
    unattributed = 0
    for j in journeys:
        cents = int(j.amount * 100)
        if not j.converted:
            assert j.opportunity_id not in by_opp  # no credit rows for non-converted journeys
        elif not j.touchpoints:
            unattributed += cents
        else:
            assert all(by_opp[j.opportunity_id][m] == cents for m in result.models)
    assert result.unattributed_cents == unattributed
    for model in result.models:
        assert (result.credits[model] >= 0).all()


@settings(max_examples=30, deadline=None)
@given(journey_spec)
def test_single_journey_api_matches_the_batch(config, spec):
    (j,) = build([spec])
    result = attribute([j], config=config, models=["u_shaped", "time_decay"])
    for model in ("u_shaped", "time_decay"):
        single = attribute_journey(j, model=model, config=config)
        assert sum(single) == (j.amount if j.converted and j.touchpoints else 0)
        if j.converted:
            assert list(single) == list(result.journey_credits(j.opportunity_id)[model])
