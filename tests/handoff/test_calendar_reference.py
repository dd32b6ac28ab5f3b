"""The fast calendar maths agree with a naive minute-by-minute walk, DST days included."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.handoff.calendar import add_business_time, business_time_between
from tandem.handoff.calendar_reference import naive_add, naive_between

from .calendars import ALL, utc

# Around the 2026 DST changes (Europe 29 Mar / 25 Oct, US 8 Mar / 1 Nov) and a holiday.
STARTS = st.sampled_from(
    [utc(2026, 3, 6), utc(2026, 3, 27), utc(2026, 4, 2), utc(2026, 7, 1), utc(2026, 10, 23),
     utc(2026, 10, 30)]
)  # fmt: skip
PROPS = settings(max_examples=60, deadline=None)


@PROPS
@given(
    cal=st.sampled_from(ALL),
    base=STARTS,
    offset=st.integers(0, 4 * 1440),
    length=st.integers(-2 * 1440, 3 * 1440),
)
def test_between_matches_the_minute_walk(cal, base, offset, length):
    a = base + dt.timedelta(minutes=offset)
    b = a + dt.timedelta(minutes=length)
    assert business_time_between(cal, a, b) == naive_between(cal, a, b)


@PROPS
@given(cal=st.sampled_from(ALL[:2]), base=STARTS, offset=st.integers(0, 3 * 1440),
       minutes=st.integers(0, 16 * 60))  # fmt: skip
def test_add_matches_the_minute_walk(cal, base, offset, minutes):
    start = base + dt.timedelta(minutes=offset)
    assert add_business_time(cal, start, dt.timedelta(minutes=minutes)) == naive_add(
        cal, start, minutes
    )
