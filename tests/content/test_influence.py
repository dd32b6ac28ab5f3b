"""Influence of assets on won revenue: every model's credits per deal sum to its amount."""

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.attribution import available, default_config
from tandem.content.influence import committee, influence, rollup, touches

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CONFIG = default_config()


def _world(deal_specs, views):
    """deal_specs: (amount_cents | None, is_won); views: (deal index, asset, day)."""
    deals = pl.DataFrame(
        {
            "opportunity_id": list(range(1, len(deal_specs) + 1)),
            "account_id": list(range(1, len(deal_specs) + 1)),
            "amount_cents": [a for a, _ in deal_specs],
            "created_at": [T0 + timedelta(days=10)] * len(deal_specs),
            "closed_at": [T0 + timedelta(days=40)] * len(deal_specs),
            "is_won": [w for _, w in deal_specs],
        },
        schema_overrides={"amount_cents": pl.Int64},
    )
    # One contact per deal, on the deal's account (no contact roles: the account fallback).
    contacts = pl.DataFrame(
        {"contact_id": deals["opportunity_id"], "account_id": deals["account_id"]}
    )
    consumption = pl.DataFrame(
        {
            "activity_id": list(range(1, len(views) + 1)),
            "contact_id": [d + 1 for d, _, _ in views],
            "asset_id": [a for _, a, _ in views],
            "occurred_at": [T0 + timedelta(days=day) for _, _, day in views],
        },
        schema_overrides={"contact_id": pl.Int64, "asset_id": pl.Int64},
    )
    roles = pl.DataFrame(schema={"opportunity_id": pl.Int64, "contact_id": pl.Int64})
    members = committee(roles, deals, contacts)
    return deals, touches(consumption, members, deals)


deal_spec = st.tuples(
    st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)), st.booleans()
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(deal_spec, min_size=1, max_size=8),
    data=st.data(),
)
def test_credits_per_won_deal_sum_to_its_amount_under_every_model(specs, data):
    views = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(specs) - 1), st.integers(1, 6), st.integers(0, 50)),
            max_size=40,
        )
    )
    deals, touched = _world(specs, views)
    result = influence(deals, touched, config=CONFIG)
    assert result.models == available(CONFIG)
    per_deal = result.credits.group_by("opportunity_id").agg(pl.col(m).sum() for m in result.models)
    credited = dict(zip(per_deal["opportunity_id"], per_deal.iter_rows(), strict=True))
    seen = {d + 1 for d, _, day in views if day < 40}
    for index, (amount, won) in enumerate(specs):
        deal = index + 1
        if won and amount is not None and deal in seen:
            assert all(c == amount for c in credited[deal][1:]), (deal, credited[deal])
        else:  # lost, unknown amount or no consumption: no credit at all
            assert deal not in credited
    unknown = sum(1 for i, (a, w) in enumerate(specs) if w and a is None and i + 1 in seen)
    assert result.unknown_amount == unknown
    assert result.without_content == sum(
        1 for i, (_, w) in enumerate(specs) if w and i + 1 not in seen
    )
    assert (
        result.credited_deals + result.unknown_amount + result.without_content == result.won_deals
    )


def test_consumption_after_close_or_outside_the_committee_does_not_count():
    deals, touched = _world(
        [(100_00, True), (50_00, True)],
        [(0, 1, 5), (0, 2, 45), (1, 2, 20), (1, 3, 30)],
    )
    result = influence(deals, touched, config=CONFIG)
    rows = {r["asset_id"]: r for r in result.by_asset.iter_rows(named=True)}
    assert set(rows) == {1, 2, 3}  # asset 2 on deal 1 was seen after close
    assert rows[1]["won_deals"] == 1 and rows[1]["linear"] == 100_00
    assert rows[2]["linear"] == 25_00 and rows[3]["linear"] == 25_00
    assert rows[1]["first_touch"] == 100_00 and rows[2]["first_touch"] == 50_00
    assert rows[3]["last_touch"] == 50_00


def test_contact_roles_take_precedence_over_the_account():
    roles = pl.DataFrame({"opportunity_id": [1], "contact_id": [7]})
    deals = pl.DataFrame({"opportunity_id": [1, 2], "account_id": [10, 10]})
    contacts = pl.DataFrame({"contact_id": [7, 8], "account_id": [10, 10]})
    members = committee(roles, deals, contacts).sort("opportunity_id", "contact_id")
    assert members.rows() == [(1, 7), (2, 7), (2, 8)]


def test_rollup_by_persona_counts_distinct_deals():
    deals, touched = _world([(90_00, True)], [(0, 1, 1), (0, 2, 2), (0, 3, 3)])
    result = influence(deals, touched, config=CONFIG)
    assets = pl.DataFrame(
        {
            "asset_id": [1, 2, 3],
            "type": ["case_study", "case_study", "webinar"],
            "journey_stage": ["decision"] * 3,
            "personas": [["cfo", "cto"], ["cfo"], []],
        }
    )
    by_persona = {r["persona"]: r for r in rollup(result, assets, "persona").iter_rows(named=True)}
    assert by_persona["cfo"]["won_deals_credited"] == 1
    assert by_persona["cfo"]["linear"] == 60_00 and by_persona["cto"]["linear"] == 30_00
    assert by_persona["(none)"]["linear"] == 30_00
    by_type = {r["type"]: r for r in rollup(result, assets, "type").iter_rows(named=True)}
    assert by_type["case_study"]["linear"] == 60_00 and by_type["case_study"]["assets"] == 2


def test_markov_removal_effects_at_once_equal_one_solve_per_channel(monkeypatch):
    # Assets as touchpoints make thousands of channels: the removal effects come from one
    # inverse (Sherman-Morrison) there; they must equal the per-channel solves exactly.
    import numpy as np

    from tandem.attribution import markov
    from tandem.attribution.paths import Paths

    rng = np.random.default_rng(0)
    for channels in (3, 40, 250):
        lengths = rng.integers(1, 8, 2000)
        conversions = (rng.random(2000) < 0.3).astype(float)
        paths = Paths(
            channels=tuple(f"a{i}" for i in range(channels)),
            offsets=np.concatenate([[0], np.cumsum(lengths)]),
            codes=rng.integers(0, channels, lengths.sum()).astype(np.int32),
            conversions=conversions,
            nulls=1 - conversions,
            value=conversions,
        )
        fast = markov.markov_attribution(paths).removal_effects
        with monkeypatch.context() as m:
            m.setattr(markov, "DENSE_MAX_STATES", 0)
            slow = markov.markov_attribution(paths).removal_effects
        assert np.allclose(fast, slow, rtol=0, atol=1e-12)
