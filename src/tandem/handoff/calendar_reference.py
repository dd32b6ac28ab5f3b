"""A deliberately naive business calendar: step minute by minute and ask the wall clock.

The oracle for the calendar's property tests and the baseline of `bench/handoff_bench.py`.
Exact for calendars whose ranges and DST changes fall on whole minutes (all real ones), and
slow on purpose: O(minutes) where `tandem.handoff.calendar` is O(1) or O(periods).
"""

from __future__ import annotations

import datetime as dt

from tandem.handoff.calendar import WEEKDAYS, BusinessCalendar

MINUTE = dt.timedelta(minutes=1)


def open_at(cal: BusinessCalendar, t: dt.datetime) -> bool:
    """Is the minute starting at `t` working time? Read straight off the local wall clock."""
    local = t.astimezone(cal.tz)
    if local.date() in {h.date for h in cal.holidays}:
        return False
    minute = local.hour * 60 + local.minute
    ranges = cal.hours.get(WEEKDAYS[local.weekday()], ())
    return any(r.start <= minute < r.end for r in ranges)


def naive_between(cal: BusinessCalendar, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Working minutes in [a, b), counted one by one (a and b on whole minutes)."""
    if b < a:
        return -naive_between(cal, b, a)
    total, t = 0, a.astimezone(dt.UTC)
    while t < b:
        total += open_at(cal, t)
        t += MINUTE
    return total * MINUTE


def naive_add(cal: BusinessCalendar, start: dt.datetime, minutes: int) -> dt.datetime:
    """The instant `minutes` working minutes after `start` (on a whole minute)."""
    t, left = start.astimezone(dt.UTC), minutes
    while left:
        if open_at(cal, t):
            left -= 1
        t += MINUTE
    return t
