"""Pure metric functions, table-driven, with hypothesis for the funnel's invariants."""

from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.analytics import deal_tables, funnel, gaps, ltv, pipeline, velocity
from tandem.analytics.dims import Filters, channel_expr, check_filters, segment_expr
from tandem.analytics.frames import STAGES, dims_mask
from tandem.analytics.periods import parse_period
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window
from tests.analytics.frames_support import T, facts

D = timedelta(days=1)
ALL = pl.lit(True)
START, END, AS_OF = T - 365 * D, T + 365 * D, T + 365 * D


def _day(n: float) -> datetime:
    return T + n * D


def test_reaching_a_later_stage_implies_the_earlier_ones():
    # Contact 1 jumps lead -> customer (an import); 2 stops at MQL; 3 only has a current stage.
    f = facts(
        [
            {"contact_id": 1},
            {"contact_id": 2},
            {"contact_id": 3, "stage": "sql", "stage_entered_at": _day(3)},
        ],
        [
            (1, None, "lead", _day(0)),
            (1, "lead", "customer", _day(10)),
            (2, None, "lead", _day(1)),
            (2, "lead", "mql", _day(2)),
        ],
    )
    totals = {t.stage: t.contacts for t in funnel.stage_totals(f.contacts, ALL, START, END, AS_OF)}
    assert totals == {
        "subscriber": 3,  # everyone passed subscriber on the way
        "lead": 3,
        "mql": 3,
        "sal": 2,
        "sql": 2,
        "opportunity": 1,
        "customer": 1,
    }


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        # period: reaches counted in the month they happen
        ("period", {("2026-01", "lead"): 2, ("2026-02", "mql"): 1, ("2026-01", "mql"): 1}),
        # cohort: contacts created in January, by the stage they reached at any time
        ("cohort", {("2026-01", "lead"): 2, ("2026-01", "mql"): 2}),
    ],
)
def test_monthly_period_and_cohort_views(view, expected):
    f = facts(
        [{"contact_id": 1}, {"contact_id": 2}],
        [
            (1, None, "lead", _day(1)),
            (1, "lead", "mql", _day(2)),
            (2, None, "lead", _day(3)),
            (2, "lead", "mql", _day(40)),
        ],
    )
    rows = funnel.monthly(f.contacts, ALL, START, END, AS_OF, view)
    got = {(r.month, r.stage): r.contacts for r in rows if r.stage in ("lead", "mql")}
    assert got == expected


def test_conversion_counts_later_reaches_but_not_after_as_of():
    f = facts(
        [{"contact_id": i} for i in (1, 2, 3, 4)],
        [
            (1, None, "mql", _day(1)),
            (1, "mql", "sql", _day(5)),
            (2, None, "mql", _day(1)),
            (2, "mql", "sql", _day(50)),  # after as_of below: not yet converted
            (3, None, "mql", _day(2)),
            (4, None, "mql", _day(-30)),  # entered MQL before the range
            (4, "mql", "sql", _day(3)),
        ],
    )
    conv = {
        (c.from_stage, c.to_stage): c
        for c in funnel.conversions(f.contacts, ALL, _day(0), _day(30), _day(30))
    }
    mql_sal = conv[("mql", "sal")]  # SQL implies SAL
    assert (mql_sal.entered, mql_sal.converted) == (3, 1)
    assert mql_sal.rate == pytest.approx(1 / 3)


def test_no_contacts_gives_no_rate_rather_than_a_division_by_zero():
    f = facts([], [])
    conv = funnel.conversions(f.contacts, ALL, START, END, AS_OF)
    assert all(c.rate is None and c.entered == 0 for c in conv)
    assert funnel.breakdown(f.contacts, ALL, "channel", START, END, AS_OF) == []


def test_dimension_mask_and_breakdown():
    f = facts(
        [
            {"contact_id": 1, "channel": "email"},
            {"contact_id": 2, "channel": "webinar"},
            {"contact_id": 3},
        ],
        [
            (1, None, "mql", _day(1)),
            (1, "mql", "sql", _day(2)),
            (2, None, "mql", _day(1)),
            (3, None, "lead", _day(1)),
        ],
    )
    email = funnel.stage_totals(f.contacts, dims_mask({"channel": "email"}), START, END, AS_OF)
    assert {t.stage: t.contacts for t in email}["mql"] == 1
    rows = {r.value: r for r in funnel.breakdown(f.contacts, ALL, "channel", START, END, AS_OF)}
    assert set(rows) == {"email", "webinar", "unknown"}
    assert rows["email"].mql_to_sql == 1.0 and rows["webinar"].mql_to_sql == 0.0
    assert rows["unknown"].mql_to_sql is None  # no MQL there: no rate


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(STAGES), min_size=1, max_size=7), min_size=0, max_size=25),
    st.integers(min_value=0, max_value=200),
)
def test_funnel_totals_never_grow_along_the_funnel(paths, offset):
    contacts, transitions = [], []
    for cid, path in enumerate(paths, 1):
        contacts.append({"contact_id": cid})
        previous = None
        for k, stage in enumerate(path):
            transitions.append((cid, previous, stage, _day(offset + k)))
            previous = stage
    f = facts(contacts, transitions)
    counts = [t.contacts for t in funnel.stage_totals(f.contacts, ALL, START, END, AS_OF)]
    assert counts == sorted(counts, reverse=True)
    for c in funnel.conversions(f.contacts, ALL, START, END, AS_OF):
        assert c.rate is None or 0 <= c.rate <= 1


def test_time_in_stage_median_and_p90_and_open_stays():
    f = facts(
        [{"contact_id": i} for i in range(1, 6)],
        [(i, None, "mql", _day(0)) for i in range(1, 6)]
        + [(i, "mql", "sal", _day(days)) for i, days in ((1, 1), (2, 2), (3, 3), (4, 10))],
    )
    times = {s.stage: s for s in velocity.stage_times(f.stays, None, START, END, AS_OF)}
    mql = times["mql"]
    assert (mql.count, mql.still_in_stage) == (4, 1)
    assert mql.median_days == pytest.approx(2.5)
    assert mql.p90_days == pytest.approx(3 + 0.7 * 7)  # linear between 3 and 10
    assert times["customer" if "customer" in times else "sql"].median_days is None


def test_sales_cycle_by_type_and_outcome():
    f = facts(
        [],
        [],
        [
            {"created_at": _day(0), "closed_at": _day(30), "is_closed": True, "is_won": True},
            {"created_at": _day(0), "closed_at": _day(50), "is_closed": True, "is_won": True},
            {
                "created_at": _day(0),
                "closed_at": _day(10),
                "is_closed": True,
                "deal_type": "renewal",
            },
        ],
    )
    rows = {
        (r.deal_type, r.outcome): r
        for r in velocity.sales_cycle(f.opportunities, START, END, AS_OF)
    }
    assert rows[("all", "won")].median_days == pytest.approx(40)
    assert rows[("renewal", "lost")].count == 1 and rows[("new", "lost")].count == 0


def _deals():
    return _deal_facts().opportunities


def _deal_facts():
    return facts(
        [],
        [],
        [
            {
                "amount": 100.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(5),
                "region": "emea",
            },
            {
                "amount": 300.0,
                "is_closed": True,
                "is_won": False,
                "closed_at": _day(6),
                "region": "emea",
            },
            {
                "amount": 50.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(7),
                "deal_type": "upsell",
                "region": "apac",
            },
            {"amount": 400.0, "stage": "proposal", "expected_close_on": _day(20).date()},
            {"amount": 70.0, "stage": "discovery", "expected_close_on": _day(200).date()},
        ],
    )


def test_win_rate_deal_types_and_dimensions():
    engine = engine_for(_deal_facts())
    at = Window(START.date(), END.date(), AS_OF)
    types = {t.deal_type: t for t in deal_tables.deal_types(engine, at, {})}
    assert (types["new"].won, types["new"].lost, types["new"].open) == (1, 1, 2)
    assert types["new"].win_rate == 0.5 and types["upsell"].average_won == 50
    regions = {r.value: r for r in deal_tables.deals_by(engine, at, {}, "region")}
    assert regions["emea"].won_amount == 100 and regions["emea"].win_rate == 0.5
    assert regions["apac"].win_rate == 1.0


@pytest.mark.parametrize(
    ("target", "ratio", "needed"),
    [
        (1000.0, 400 / 850, 850.0),  # 150 booked in Q1, 400 open due in Q1
        (100.0, None, 0.0),  # already beaten: nothing needed, no ratio
        (None, None, None),  # no target set
    ],
)
def test_coverage(target, ratio, needed):
    cov = pipeline.coverage(_deals(), parse_period("2026-Q1"), target, _day(10))
    assert cov.booked == 150 and cov.open_due == 400
    assert cov.still_needed == needed
    assert cov.ratio == (pytest.approx(ratio) if ratio is not None else None)


def test_ltv_method_per_segment_and_one_customer():
    deals = facts(
        [],
        [],
        [
            {
                "segment": "mid",
                "account_id": 1,
                "amount": 1000.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(1),
            },
            {
                "segment": "mid",
                "account_id": 2,
                "amount": 3000.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(1),
            },
            {
                "segment": "mid",
                "account_id": 1,
                "amount": 400.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(2),
                "deal_type": "upsell",
            },
            {
                "segment": "mid",
                "account_id": 1,
                "amount": 1000.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(3),
                "deal_type": "renewal",
            },
            {
                "segment": "mid",
                "account_id": 2,
                "amount": 3000.0,
                "is_closed": True,
                "is_won": False,
                "closed_at": _day(3),
                "deal_type": "renewal",
            },
            {
                "segment": "solo",
                "account_id": 3,
                "amount": 999.0,
                "is_closed": True,
                "is_won": True,
                "closed_at": _day(1),
            },
        ],
    ).opportunities
    rows = {r.segment: r for r in ltv.ltv_by_segment(deals, AS_OF)}
    mid = rows["mid"]
    assert mid.revenue_per_account == 2000 and mid.expansion_rate == pytest.approx(0.1)
    assert mid.churn_rate == 0.5 and mid.lifetime_years == 2
    assert mid.ltv == pytest.approx(2000 * 1.1 * 2)
    assert rows["solo"].ltv is None and "only one customer" in rows["solo"].note


def test_gap_is_located_where_the_drop_is_largest():
    previous = pl.DataFrame({"segment": ["a", "a", "b", "b", "b"], "region": ["x"] * 5})
    current = pl.DataFrame({"segment": ["a", "a", "b"], "region": ["x", "x", "x"]})
    assert gaps.locate(current, previous, ["segment", "region"]) == ("segment", "b", 2.0)
    found = gaps.gap("MQLs", "previous period", 3, 5, "segment b")
    assert found is not None and found.gap_share == pytest.approx(0.4)
    assert gaps.gap("MQLs", "target", 5, 0, None) is None  # a target of zero is no gap
    assert gaps.gap("MQLs", "target", 6, 5, None) is None


@pytest.mark.parametrize(
    ("employees", "band", "segment"),
    [
        (10, None, "smb"),
        (50, None, "smb"),
        (51, None, "mid_market"),
        (None, "5000+", "enterprise"),
        (None, None, None),
    ],
)
def test_segment_rule(employees, band, segment):
    frame = pl.DataFrame(
        {"employees": [employees], "employee_band": [band]},
        schema={"employees": pl.Int64, "employee_band": pl.String},
    )
    assert frame.select(segment_expr()).item() == segment


@pytest.mark.parametrize(
    ("campaign", "medium", "source", "channel"),
    [
        ("webinar", "cpc", None, "webinar"),
        (None, "cpc", "google", "paid_search"),
        (None, None, "organic_search", "organic_search"),
        (None, None, "google", None),
    ],
)
def test_channel_rule(campaign, medium, source, channel):
    frame = pl.DataFrame(
        {"campaign_channel": [campaign], "medium": [medium], "source": [source]},
        schema={"campaign_channel": pl.String, "medium": pl.String, "source": pl.String},
    )
    assert frame.select(channel_expr()).item() == channel


def test_unknown_filter_value_is_refused_plainly():
    kept, issues = check_filters(
        Filters(T.date(), (T + D).date(), {"region": "mars", "segment": "smb"}),
        {"region": ["emea"], "segment": ["smb"]},
    )
    assert dict(kept.values) == {"segment": "smb"}
    assert [i.message for i in issues] == [
        "no region called 'mars' in this workspace; filter ignored"
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(STAGES), min_size=1, max_size=7),
            st.sampled_from(["email", "webinar", None]),
            st.integers(min_value=-60, max_value=90),
        ),
        max_size=20,
    ),
    st.sampled_from([{}, {"channel": "email"}, {"channel": "unknown"}]),
    st.sampled_from(["period", "cohort"]),
)
def test_rollup_gives_the_same_funnel_as_the_contact_rows(paths, values, view):
    from tandem.analytics import rollup

    contacts, transitions = [], []
    for cid, (path, channel, offset) in enumerate(paths, 1):
        contacts.append({"contact_id": cid, "channel": channel, "created_at": _day(offset)})
        previous = None
        for k, stage in enumerate(path):
            transitions.append((cid, previous, stage, _day(offset + 3 * k)))
            previous = stage
    f = facts(contacts, transitions, loaded_at=_day(200))
    start, end, as_of = _day(0), _day(60), _day(300)
    mask = dims_mask(values)
    reached = funnel.depth(as_of, f.loaded_at)
    rows = (
        funnel.stage_totals(f.contacts, mask, start, end, as_of, reached),
        funnel.monthly(f.contacts, mask, start, end, as_of, view, reached),
        funnel.conversions(f.contacts, mask, start, end, as_of, reached),
    )
    assert rollup.funnel(f.rollup, values, start, end, as_of, view) == rows
    assert rollup.breakdown(f.rollup, values, "channel", start, end, as_of) == funnel.breakdown(
        f.contacts, mask, "channel", start, end, as_of, reached
    )
