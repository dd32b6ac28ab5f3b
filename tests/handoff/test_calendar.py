"""Business-time maths, table-driven with hand-computed answers, plus hypothesis properties."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tandem.handoff.calendar import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
)

from .calendars import (
    ALL,
    BERLIN,
    BERLIN_24_7,
    NEW_YORK,
    NY_SUNDAY_NIGHT,
    TOKYO,
    berlin,
    ny,
    utc,
)

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)

ADD_CASES = [
    # (id, calendar, start, hours, expected UTC result)
    ("inside a range", BERLIN, berlin(2026, 3, 2, 10), 1, utc(2026, 3, 2, 10)),
    ("across lunch", BERLIN, berlin(2026, 3, 2, 11, 30), 1, utc(2026, 3, 2, 12, 30)),
    ("friday to monday", BERLIN, berlin(2026, 3, 6, 17), 1, utc(2026, 3, 9, 8, 30)),
    ("from saturday", BERLIN, berlin(2026, 3, 7, 10), 2, utc(2026, 3, 9, 10)),
    ("before opening", BERLIN, berlin(2026, 3, 2, 8), 0.5, utc(2026, 3, 2, 8, 30)),
    ("ends exactly at close", BERLIN, berlin(2026, 3, 2, 17, 30), 7.5, utc(2026, 3, 3, 16, 30)),
    ("three days", BERLIN, berlin(2026, 3, 2, 9), 20, utc(2026, 3, 4, 14)),
    ("zero on a saturday", BERLIN, berlin(2026, 3, 7, 10), 0, utc(2026, 3, 7, 9)),
    ("easter: two holidays", BERLIN, berlin(2026, 4, 2, 17), 1, utc(2026, 4, 7, 7, 30)),
    ("weekend with berlin dst", BERLIN, berlin(2026, 3, 27, 17), 1, utc(2026, 3, 30, 7, 30)),
    ("start given in NY time", BERLIN, ny(2026, 3, 2, 8), 4, utc(2026, 3, 3, 8, 30)),
    (
        "timedelta input",
        BERLIN,
        berlin(2026, 3, 2, 9),
        dt.timedelta(minutes=200),
        utc(2026, 3, 2, 12, 20),
    ),
    ("weekend with us dst", NEW_YORK, ny(2026, 3, 6, 16), 2, utc(2026, 3, 9, 14)),
    ("us holiday", NEW_YORK, ny(2026, 7, 2, 16, 30), 1, utc(2026, 7, 6, 13, 30)),
    ("us fall back weekend", NEW_YORK, ny(2026, 10, 30, 16), 2, utc(2026, 11, 2, 15)),
    ("tokyo, utc date behind", TOKYO, utc(2026, 3, 2, 23), 1, utc(2026, 3, 3, 2)),
    ("spring-forward day is 23h", BERLIN_24_7, berlin(2026, 3, 29), 23, utc(2026, 3, 29, 22)),
    ("fall-back day is 25h", BERLIN_24_7, berlin(2026, 10, 25), 25, utc(2026, 10, 25, 23)),
    ("night shift loses an hour", NY_SUNDAY_NIGHT, ny(2026, 3, 8), 3, utc(2026, 3, 8, 8)),
    ("then waits a week", NY_SUNDAY_NIGHT, ny(2026, 3, 8), 3.5, utc(2026, 3, 15, 4, 30)),
    ("night shift gains an hour", NY_SUNDAY_NIGHT, ny(2026, 11, 1), 5, utc(2026, 11, 1, 9)),
]


@pytest.mark.parametrize(
    ("cal", "start", "hours", "expected"), [c[1:] for c in ADD_CASES], ids=[c[0] for c in ADD_CASES]
)
def test_add_business_time(cal, start, hours, expected):
    result = add_business_time(cal, start, hours)
    assert result == expected
    assert result.utcoffset() == dt.timedelta(0)


BETWEEN_CASES = [
    ("friday evening to monday", BERLIN, berlin(2026, 3, 6, 17), berlin(2026, 3, 9, 10), 1.5 * H),
    ("reversed is negative", BERLIN, berlin(2026, 3, 9, 10), berlin(2026, 3, 6, 17), -1.5 * H),
    ("inside lunch", BERLIN, berlin(2026, 3, 2, 12, 10), berlin(2026, 3, 2, 12, 50), 0 * H),
    ("a full week", BERLIN, berlin(2026, 3, 2), berlin(2026, 3, 9), 37.5 * H),
    ("easter week", BERLIN, berlin(2026, 3, 30), berlin(2026, 4, 7), 30 * H),
    ("24/7 spring-forward day", BERLIN_24_7, berlin(2026, 3, 29), berlin(2026, 3, 30), 23 * H),
    ("24/7 fall-back day", BERLIN_24_7, berlin(2026, 10, 25), berlin(2026, 10, 26), 25 * H),
    ("night shift, spring", NY_SUNDAY_NIGHT, ny(2026, 3, 8), ny(2026, 3, 9), 3 * H),
    ("night shift, fall", NY_SUNDAY_NIGHT, ny(2026, 11, 1), ny(2026, 11, 2), 5 * H),
    ("us week with holiday", NEW_YORK, ny(2026, 6, 29), ny(2026, 7, 6), 32 * H),
]


@pytest.mark.parametrize(
    ("cal", "a", "b", "expected"), [c[1:] for c in BETWEEN_CASES], ids=[c[0] for c in BETWEEN_CASES]
)
def test_business_time_between(cal, a, b, expected):
    assert business_time_between(cal, a, b) == expected


OPEN_CASES = [
    ("opening instant is open", BERLIN, berlin(2026, 3, 2, 9), True),
    ("a minute before lunch", BERLIN, berlin(2026, 3, 2, 11, 59), True),
    ("lunch starts closed", BERLIN, berlin(2026, 3, 2, 12), False),
    ("after lunch", BERLIN, berlin(2026, 3, 2, 13), True),
    ("closing instant is closed", BERLIN, berlin(2026, 3, 2, 17, 30), False),
    ("saturday", BERLIN, berlin(2026, 3, 7, 11), False),
    ("good friday", BERLIN, berlin(2026, 4, 3, 11), False),
    ("13:30Z is 09:30 EDT after DST", NEW_YORK, utc(2026, 3, 9, 13, 30), True),
    ("13:30Z is 08:30 EST before DST", NEW_YORK, utc(2026, 3, 6, 13, 30), False),
]


@pytest.mark.parametrize(
    ("cal", "t", "expected"), [c[1:] for c in OPEN_CASES], ids=[c[0] for c in OPEN_CASES]
)
def test_is_open(cal, t, expected):
    assert is_open(cal, t) is expected


def test_next_open_skips_weekend_and_holidays():
    assert next_open(BERLIN, berlin(2026, 4, 2, 18)) == utc(2026, 4, 7, 7)
    assert next_open(BERLIN, berlin(2026, 3, 2, 10)) == utc(2026, 3, 2, 9)


@pytest.mark.parametrize(
    ("zone", "day", "ranges", "expected"),
    [
        # 02:30 does not exist in Berlin on 2026-03-29: work starts when clocks jump (01:00Z).
        (
            "Europe/Berlin",
            dt.date(2026, 3, 29),
            ("02:30-05:00",),
            [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 3))],
        ),
        # A range wholly inside the skipped hour has no real time at all.
        ("Europe/Berlin", dt.date(2026, 3, 29), ("02:10-02:50",), []),
        # 02:30 happens twice on 2026-10-25: the first one (CEST) counts, so the range is 2h.
        (
            "Europe/Berlin",
            dt.date(2026, 10, 25),
            ("02:30-03:30",),
            [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30))],
        ),
        (
            "America/New_York",
            dt.date(2026, 11, 1),
            ("01:00-01:30",),
            [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30))],
        ),
        # Overlapping ranges (a config error) are merged, not double counted.
        (
            "Europe/Berlin",
            dt.date(2026, 3, 2),
            ("09:00-13:00", "12:00-14:00"),
            [(utc(2026, 3, 2, 8), utc(2026, 3, 2, 13))],
        ),
    ],
)
def test_periods_at_dst_edges(zone, day, ranges, expected):
    cal = BusinessCalendar(
        timezone=zone,
        hours={("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]: ranges},
    )
    assert list(cal.periods(day)) == expected


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_business_time(BERLIN, dt.datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError, match="aware"):
        is_open(BERLIN, dt.datetime(2026, 3, 2, 9))


def test_negative_hours_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(BERLIN, berlin(2026, 3, 2, 9), -1)


def test_calendar_without_hours_cannot_reach_a_deadline():
    closed = BusinessCalendar(timezone="UTC", hours={})
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(closed, utc(2026, 1, 1), 1)
    assert business_time_between(closed, utc(2026, 1, 1), utc(2026, 2, 1)) == dt.timedelta(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-17", "HH:MM-HH:MM"),
        ("17:00-09:00", "must end after it starts"),
        ("09:00-24:30", "valid time"),
        ("09:61-10:00", "valid time"),
    ],
)
def test_bad_time_ranges_are_rejected(text, message):
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar(timezone="UTC", hours={"mon": (text,)})


def test_unknown_time_zone_is_rejected():
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        BusinessCalendar(timezone="Europe/Berln", hours={"mon": ("09:00-17:00",)})


def test_calendar_round_trips_through_json():
    again = BusinessCalendar.model_validate_json(BERLIN.model_dump_json())
    assert again == BERLIN
    assert BERLIN.model_dump()["hours"]["mon"] == ("09:00-12:00", "13:00-17:30")


# --- properties ---------------------------------------------------------------------------

calendars = st.sampled_from(ALL)
instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 20),
    max_value=dt.datetime(2027, 1, 10),
    timezones=st.just(dt.UTC),
)
amounts = st.integers(min_value=0, max_value=80 * 3600).map(lambda s: dt.timedelta(seconds=s))
PROPS = settings(max_examples=150, deadline=None)


@PROPS
@given(calendars, instants, amounts)
def test_measuring_what_was_added_gives_it_back(cal, a, h):
    assert business_time_between(cal, a, add_business_time(cal, a, h)) == h


@PROPS
@given(calendars, instants, amounts, amounts)
def test_add_is_monotonic_and_additive(cal, a, h1, h2):
    lo, hi = sorted((h1, h2))
    assert a <= add_business_time(cal, a, lo) <= add_business_time(cal, a, hi)
    assert add_business_time(cal, add_business_time(cal, a, h1), h2) == add_business_time(
        cal, a, h1 + h2
    )


@PROPS
@given(calendars, instants, instants, instants)
def test_between_is_additive_and_bounded_by_real_time(cal, x, y, z):
    a, b, c = sorted((x, y, z))
    ab, bc = business_time_between(cal, a, b), business_time_between(cal, b, c)
    assert ab + bc == business_time_between(cal, a, c)
    assert dt.timedelta(0) <= ab <= b - a


@PROPS
@given(calendars, instants, instants)
def test_add_then_measure_round_trip_lands_at_or_before_b(cal, x, y):
    a, b = sorted((x, y))
    spent = business_time_between(cal, a, b)
    landed = add_business_time(cal, a, spent)
    assert landed <= b
    assert business_time_between(cal, landed, b) == dt.timedelta(0)


@PROPS
@given(calendars, instants, amounts.filter(bool))
def test_a_deadline_is_reached_during_working_time(cal, a, h):
    end = add_business_time(cal, a, h)
    tick = dt.timedelta(microseconds=1)
    assert is_open(cal, end - tick)
    assert business_time_between(cal, end - tick, end) == tick
