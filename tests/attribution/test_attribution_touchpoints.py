"""select_touchpoints: the window and milestone rule, scalar and vectorised alike."""

from datetime import datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.attribution import Journey, Touchpoint, select_touchpoints, select_touchpoints_frame
from tandem.attribution.touchpoints import MILESTONES

from .conftest import T0

DAY = timedelta(days=1)


def acts(*days: float) -> list[Touchpoint]:
    return [Touchpoint(i, T0 + d * DAY, f"ch{i}") for i, d in enumerate(days)]


def marks(touches) -> list[tuple[int, set[str]]]:
    return [(t.activity_id, set(t.milestones)) for t in touches]


def test_window_and_milestones_default():
    created = T0 + 200 * DAY
    got = select_touchpoints(
        acts(0, 19, 20, 50, 60, 200, 201), opportunity_created_at=created, mql_at=T0 + 55 * DAY
    )
    # Day 0 and 19 are more than 180 days before creation; day 201 is after it.
    assert marks(got) == [
        (2, {"first_touch"}),  # day 20 = created - 180 days exactly: included
        (3, {"lead_creation"}),  # last touch at or before the MQL (day 55)
        (4, set()),
        (5, {"opportunity_creation"}),  # at creation: included, and it is the last one
    ]


def test_until_close_adds_touches_after_creation_and_the_close_milestone():
    got = select_touchpoints(
        acts(1, 5, 9, 30),
        opportunity_created_at=T0 + 6 * DAY,
        closed_at=T0 + 10 * DAY,
        until_close=True,
        lookback_days=180,
    )
    assert marks(got) == [(0, {"first_touch"}), (1, {"opportunity_creation"}), (2, {"close"})]


def test_close_is_missing_without_until_close_and_lead_creation_without_mql():
    got = select_touchpoints(
        acts(1, 2), opportunity_created_at=T0 + 3 * DAY, closed_at=T0 + 9 * DAY
    )
    assert marks(got) == [(0, {"first_touch"}), (1, {"opportunity_creation"})]


def test_one_touch_carries_every_milestone_and_mql_before_window_is_missing():
    created = T0 + 300 * DAY
    got = select_touchpoints(
        acts(299),
        opportunity_created_at=created,
        closed_at=created,
        until_close=True,
        mql_at=T0 + 299 * DAY,
    )
    assert marks(got) == [(0, {"first_touch", "lead_creation", "opportunity_creation", "close"})]
    got = select_touchpoints(acts(299), opportunity_created_at=created, mql_at=T0)
    assert marks(got) == [(0, {"first_touch", "opportunity_creation"})]


def test_ties_are_ordered_by_activity_id_and_old_milestones_replaced():
    same = [Touchpoint(2, T0, "b", milestones=frozenset({"close"})), Touchpoint(1, T0, "a")]
    got = select_touchpoints(same, opportunity_created_at=T0)
    assert marks(got) == [(1, {"first_touch"}), (2, {"opportunity_creation"})]


def test_empty_window_and_naive_datetimes():
    assert select_touchpoints([], opportunity_created_at=T0) == ()
    with pytest.raises(ValueError, match="timezone-aware"):
        select_touchpoints([], opportunity_created_at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Touchpoint(1, datetime(2024, 1, 1), "email")


def test_touchpoint_and_journey_validation():
    with pytest.raises(ValueError, match="team"):
        Touchpoint(1, T0, "email", team="finance")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown milestones"):
        Touchpoint(1, T0, "email", milestones=frozenset({"mql"}))
    late, early = Touchpoint(1, T0 + DAY, "a"), Touchpoint(2, T0, "b")
    with pytest.raises(ValueError, match="time order"):
        Journey(1, Decimal("1.00"), (late, early))
    with pytest.raises(ValueError, match="negative"):
        Journey(1, Decimal("-1.00"), ())


opportunity = st.tuples(
    st.lists(st.integers(0, 60), max_size=8),  # activity days
    st.integers(0, 60),  # created day
    st.one_of(st.none(), st.integers(0, 60)),  # closed day
    st.one_of(st.none(), st.integers(0, 60)),  # mql day
)


@settings(max_examples=60, deadline=None)
@given(st.lists(opportunity, min_size=1, max_size=5), st.booleans(), st.integers(0, 30))
def test_frame_version_matches_scalar_rule(opportunities, until_close, lookback):
    def at(day):
        return None if day is None else T0 + day * DAY

    expected, activity_rows, opportunity_rows = [], [], []
    for opp, (days, created, closed, mql) in enumerate(opportunities):
        items = [Touchpoint(opp * 100 + i, at(d), "email") for i, d in enumerate(days)]
        for t in select_touchpoints(
            items,
            opportunity_created_at=at(created),
            closed_at=at(closed),
            lookback_days=lookback,
            until_close=until_close,
            mql_at=at(mql),
        ):
            expected.append(
                (opp, t.activity_id, sum(1 << MILESTONES.index(m) for m in t.milestones))
            )
        activity_rows += [(opp, t.activity_id, t.occurred_at) for t in items]
        opportunity_rows.append((opp, at(created), at(closed), at(mql)))
    utc = pl.Datetime("us", "UTC")
    activities = pl.DataFrame(
        activity_rows,
        orient="row",
        schema={"opportunity_id": pl.Int64, "activity_id": pl.Int64, "occurred_at": utc},
    )
    opps = pl.DataFrame(
        opportunity_rows,
        orient="row",
        schema={"opportunity_id": pl.Int64, "created_at": utc, "closed_at": utc, "mql_at": utc},
    )
    got = select_touchpoints_frame(
        activities, opps, lookback_days=lookback, until_close=until_close
    )
    assert list(got.select("opportunity_id", "activity_id", "milestones").iter_rows()) == expected
