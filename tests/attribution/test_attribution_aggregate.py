"""Aggregation by campaign, channel, asset, team and source; campaign ROI."""

from decimal import Decimal

import pytest

from tandem.attribution import FunnelCounts, aggregate, attribute, campaign_roi

from .conftest import journey, touch

D = Decimal


@pytest.fixture
def result(config):
    journeys = [
        journey(
            touch(0, "paid_search", campaign_id="c1", asset_id="a1", source="google"),
            touch(1, "email", campaign_id="c2", source="newsletter"),
            touch(2, "sales_outreach", team="sales"),
            amount="300.00",
            opportunity_id=1,
        ),
        journey(
            touch(3, "email", campaign_id="c2", asset_id="a1"), amount="50.00", opportunity_id=2
        ),
        journey(touch(4, "display", campaign_id="c3"), converted=False, opportunity_id=3),
    ]
    return attribute(journeys, config=config, models=["first_touch", "last_touch", "linear"])


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            "campaign",
            {
                "c1": ("300.00", "0.00", "100.00"),
                "c2": ("50.00", "50.00", "150.00"),
                None: ("0.00", "300.00", "100.00"),
            },
        ),
        (
            "channel",
            {
                "email": ("50.00", "50.00", "150.00"),
                "paid_search": ("300.00", "0.00", "100.00"),
                "sales_outreach": ("0.00", "300.00", "100.00"),
            },
        ),
        ("asset", {"a1": ("350.00", "50.00", "150.00"), None: ("0.00", "300.00", "200.00")}),
        (
            "team",
            {"marketing": ("350.00", "50.00", "250.00"), "sales": ("0.00", "300.00", "100.00")},
        ),
        (
            "source",
            {
                "google": ("300.00", "0.00", "100.00"),
                "newsletter": ("0.00", "0.00", "100.00"),
                None: ("50.00", "350.00", "150.00"),
            },
        ),
    ],
)
def test_aggregate_by_each_dimension(result, by, expected):
    rows = aggregate(result, by=by)
    got = {r.key: tuple(str(r.credits[m]) for m in result.models) for r in rows}
    assert got == expected
    assert [r.key for r in rows][-1] is None or None not in got  # the None key sorts last
    # every model's total is the won revenue, whatever the dimension
    for model in result.models:
        assert sum(r.credits[model] for r in rows) == D("350.00")


def test_aggregate_counts_touches_and_opportunities(result):
    (c2,) = [r for r in aggregate(result, by="campaign") if r.key == "c2"]
    assert (c2.touches, c2.opportunities) == (2, 2)
    with pytest.raises(ValueError, match="cannot aggregate by 'region'"):
        aggregate(result, by="region")  # type: ignore[arg-type]


def test_campaign_roi(result):
    rows = campaign_roi(
        aggregate(result, by="campaign"),
        costs={"c1": D("150.00"), "c2": D("300.00"), "c3": D("40.00")},
        counts={
            "c1": FunnelCounts(mqls=3, sqls=2, opportunities=1, won=1),
            "c2": FunnelCounts(mqls=7, sqls=0, opportunities=2, won=2),
        },
    )
    by_id = {r.campaign_id: r for r in rows}
    assert list(by_id) == ["c1", "c2", "c3"]
    c1, c2, c3 = by_id["c1"], by_id["c2"], by_id["c3"]
    assert (c1.cost_per_mql, c1.cost_per_sql, c1.cost_per_opportunity, c1.cost_per_won) == (
        D("50.00"),
        D("75.00"),
        D("150.00"),
        D("150.00"),
    )
    assert c1.roi == {"first_touch": D("2.0000"), "last_touch": D("0.0000"), "linear": D("0.6667")}
    assert c2.cost_per_mql == D("42.86") and c2.cost_per_sql is None
    assert c2.roi["linear"] == D("0.5000")
    # a campaign with cost but no credit (its only journey did not convert): ROI 0
    assert c3.attributed == {m: D("0.00") for m in result.models}
    assert c3.roi["linear"] == D("0.0000") and c3.cost_per_won is None


def test_roi_without_cost_is_none(result):
    (c1, c2) = campaign_roi(aggregate(result, by="campaign"), costs={}, counts={})
    assert c1.roi == {m: None for m in result.models} and c1.cost == 0
