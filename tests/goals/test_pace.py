"""Attainment and pace: table-driven, plus invariants."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.analytics.periods import parse_period
from tandem.goals.pace import pace

Q4 = parse_period("2026-Q4")  # 92 days
MID = datetime(2026, 11, 15, 12, tzinfo=UTC)  # 45.5 days in


@pytest.mark.parametrize(
    ("target", "actual", "as_of", "status", "attainment"),
    [
        (100, 60, MID, "on_track", 0.6),
        (100, 40, MID, "behind", 0.4),
        (100, 120, MID, "met", 1.2),
        (100, 80, datetime(2027, 1, 2, tzinfo=UTC), "missed", 0.8),
        (100, 0, datetime(2026, 9, 1, tzinfo=UTC), "upcoming", 0.0),
        (0, 5, MID, "no_target", None),
        (100, None, MID, "no_data", None),
    ],
)
def test_status_and_attainment(target, actual, as_of, status, attainment):
    p = pace(target=target, actual=actual, period=Q4, as_of=as_of)
    assert p.status == status
    assert p.attainment == (pytest.approx(attainment) if attainment is not None else None)


def test_pace_needed_per_week():
    p = pace(target=100, actual=40, period=Q4, as_of=MID)
    assert p.days_left == pytest.approx(46.5)
    assert p.pace_needed_per_week == pytest.approx(60 / (46.5 / 7))
    assert p.expected_to_date == pytest.approx(100 * 45.5 / 92)


def test_a_rate_has_no_pace_and_is_compared_as_it_stands():
    p = pace(target=0.3, actual=0.25, period=Q4, as_of=MID, is_rate=True)
    assert p.pace_needed_per_week is None and p.expected_to_date == 0.3 and p.status == "behind"


@given(
    st.floats(min_value=1, max_value=1e7),
    st.floats(min_value=0, max_value=1e7),
    st.integers(min_value=0, max_value=91),
)
def test_pace_times_weeks_left_closes_the_gap(target, actual, day):
    as_of = datetime.fromtimestamp(Q4.start_at.timestamp() + day * 86400 + 3600, UTC)
    p = pace(target=target, actual=actual, period=Q4, as_of=as_of)
    if p.pace_needed_per_week is not None:
        # days_left is rounded to hundredths of a day for display, hence the tolerance
        # at most half a hundredth of a day of rounding, whatever the days left
        slack = p.pace_needed_per_week * 0.005 / 7 + 1e-9
        assert actual + p.pace_needed_per_week * p.days_left / 7 == pytest.approx(target, abs=slack)
    else:
        assert actual >= target
