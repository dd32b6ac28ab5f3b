"""Calendars shared by the handoff tests (2026: Jan 1 is a Thursday, Mar 2 a Monday)."""

import datetime as dt
from zoneinfo import ZoneInfo

from tandem.handoff.calendar import BusinessCalendar

UTC = dt.UTC
BERLIN_TZ = ZoneInfo("Europe/Berlin")
NY_TZ = ZoneInfo("America/New_York")
WEEK = ("mon", "tue", "wed", "thu", "fri")

#: 7.5 h a day with a lunch break; Good Friday and Easter Monday 2026 off.
BERLIN = BusinessCalendar(
    timezone="Europe/Berlin",
    hours={d: ("09:00-12:00", "13:00-17:30") for d in WEEK},
    holidays=(dt.date(2026, 4, 3), {"date": dt.date(2026, 4, 6), "name": "Easter Monday"}),
)
#: 8 h a day; Independence Day (observed) 2026-07-03 off.
NEW_YORK = BusinessCalendar(
    timezone="America/New_York",
    hours={d: ("09:00-17:00",) for d in WEEK},
    holidays=(dt.date(2026, 7, 3),),
)
#: Open around the clock, to see DST days with 23 and 25 real hours.
BERLIN_24_7 = BusinessCalendar(
    timezone="Europe/Berlin",
    hours={d: ("00:00-24:00",) for d in (*WEEK, "sat", "sun")},
)
#: Sunday night shift spanning the 02:00 US clock change.
NY_SUNDAY_NIGHT = BusinessCalendar(timezone="America/New_York", hours={"sun": ("00:00-04:00",)})
#: Tokyo has no DST; a far-east zone makes UTC dates differ from local dates.
TOKYO = BusinessCalendar(timezone="Asia/Tokyo", hours={d: ("10:00-19:00",) for d in WEEK})

ALL = (BERLIN, NEW_YORK, BERLIN_24_7, NY_SUNDAY_NIGHT, TOKYO)


def berlin(*args: int) -> dt.datetime:
    """An aware Europe/Berlin wall-clock time."""
    return dt.datetime(*args, tzinfo=BERLIN_TZ)


def ny(*args: int) -> dt.datetime:
    """An aware America/New_York wall-clock time."""
    return dt.datetime(*args, tzinfo=NY_TZ)


def utc(*args: int) -> dt.datetime:
    """An aware UTC time."""
    return dt.datetime(*args, tzinfo=UTC)
