"""Business calendars and business-time maths: working hours, holidays, time zones and DST.

Working hours are wall-clock times in the calendar's time zone. Each local working range is
turned into a real (UTC) interval, so a range spanning a DST change has its true length: Sunday
00:00-24:00 on Europe/Berlin's spring-forward day lasts 23 hours. Wall times that do not exist
(skipped by a spring-forward) resolve to the instant the clocks jump; wall times that occur
twice (fall-back) resolve to their first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator, model_serializer, model_validator

from tandem.definitions.base import ConfigModel

UTC = dt.UTC
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Give up looking for working time after this many consecutive closed days.
MAX_CLOSED_DAYS = 3660
_MEMO_LIMIT = 200_000  # entries kept per calendar by add_business_time's memo
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class TimeRange(ConfigModel):
    """A working range within one local day, in minutes since midnight; written "09:00-17:30"."""

    start: int
    end: int

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, int):
            raise ValueError("write working hours as a quoted string, e.g. '09:00-17:30'")
        if not isinstance(value, str):
            return value
        m = _RANGE.match(value)
        if not m:
            raise ValueError(f"expected 'HH:MM-HH:MM', got {value!r}")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if m1 > 59 or m2 > 59 or h1 > 23 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"not a valid time of day in {value!r} (use 00:00 to 24:00)")
        return {"start": h1 * 60 + m1, "end": h2 * 60 + m2}

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if not 0 <= self.start < self.end <= 1440:
            raise ValueError(f"range {self} must end after it starts, within one day")
        return self

    @model_serializer
    def _as_text(self) -> str:
        return str(self)  # JSON/YAML round-trips as "09:00-17:30"

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


class Holiday(ConfigModel):
    """A whole local day off. In YAML either a bare date or `{date: 2026-12-25, name: ...}`."""

    date: dt.date
    name: str = ""

    @model_validator(mode="before")
    @classmethod
    def _bare_date(cls, value: Any) -> Any:
        return {"date": value} if isinstance(value, dt.date | str) else value


class BusinessCalendar(ConfigModel):
    """A team's working time: IANA time zone, hours per weekday (ranges may be split), holidays.

    A weekday left out (or given an empty list) is closed.
    """

    timezone: str
    hours: dict[Weekday, tuple[TimeRange, ...]]
    holidays: tuple[Holiday, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'Europe/Berlin')") from None
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    @cached_property
    def _holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(h.date for h in self.holidays)

    @cached_property
    def _merged(self) -> dict[int, tuple[tuple[int, int], ...]]:
        # Overlapping ranges are a config error (see validation), but merging keeps the maths
        # right even for a calendar that was never validated.
        out = {}
        for index, name in enumerate(WEEKDAYS):
            merged: list[list[int]] = []
            for r in sorted(self.hours.get(name, ()), key=lambda r: r.start):
                if merged and r.start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], r.end)
                else:
                    merged.append([r.start, r.end])
            out[index] = tuple((s, e) for s, e in merged)
        return out

    @cached_property
    def _period_cache(self) -> dict[dt.date, tuple[tuple[dt.datetime, dt.datetime], ...]]:
        return {}  # memo per date: the calendar is immutable, so entries never go stale

    def periods(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        """The real (UTC) working intervals of one local date, in order; empty on a holiday."""
        cached = self._period_cache.get(day)
        if cached is None:
            cached = self._period_cache[day] = tuple(self._compute_periods(day))
        return cached

    @cached_property
    def _add_cache(self) -> dict[tuple[dt.datetime, dt.timedelta], dt.datetime]:
        # Memo of add_business_time: a tick evaluates many leads whose clocks started at the
        # same moment (handed off in one tick), so the same deadlines come up again and again.
        return {}

    @cached_property
    def _cumulative(self) -> _Cumulative:
        return _Cumulative(self)

    def _compute_periods(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        if day in self._holiday_dates:
            return
        for start, end in self._merged[day.weekday()]:
            s, e = _wall_to_utc(self.tz, day, start), _wall_to_utc(self.tz, day, end)
            if e > s:  # a range wholly inside a DST gap has no real time
                yield s, e


def add_business_time(
    cal: BusinessCalendar, start: dt.datetime, hours: float | dt.timedelta
) -> dt.datetime:
    """The instant `hours` of business time after `start`, as an aware UTC datetime.

    Adding zero returns `start` itself; a result landing exactly on the end of a working range
    stays there rather than jumping to the next opening.
    """
    amount = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
    if amount < dt.timedelta(0):
        raise ValueError("business time to add must not be negative")
    t = _utc(start)
    if not amount:
        return t
    memo = cal._add_cache
    found = memo.get((t, amount))
    if found is not None:
        return found
    if len(memo) > _MEMO_LIMIT:
        memo.clear()  # bounded: a long-running scheduler sees ever new start times
    remaining = amount
    for s, e in _periods_from(cal, t):
        if remaining <= e - s:
            memo[(t, amount)] = s + remaining
            return s + remaining
        remaining -= e - s
    raise AssertionError("unreachable: _periods_from is endless or raises")


def business_time_between(cal: BusinessCalendar, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Business time from `a` to `b`; negative when `b` is before `a`.

    Constant time however far apart `a` and `b` are: both ends are measured against running
    totals of working time per local date, built once per calendar and reused.
    """
    return cal._cumulative.between(_utc(a), _utc(b))


class _Cumulative:
    """Working time from a fixed origin up to any instant, via per-date running totals.

    `totals[i]` is the working time of local dates `origin + 0 .. origin + i - 1`. The table
    grows (by rebuilding and swapping one tuple, so concurrent readers never see it half
    built) to cover whatever dates are asked about.
    """

    _PAD = 62  # days added beyond the requested range on each growth, to amortise rebuilds

    def __init__(self, cal: BusinessCalendar) -> None:
        self.cal = cal
        self.table: tuple[int, tuple[dt.timedelta, ...]] = (0, ())
        self.memo: dict[tuple[dt.datetime, dt.datetime], dt.timedelta] = {}

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from `a` to `b` (aware UTC), negative when `b` is earlier."""
        found = self.memo.get((a, b))
        if found is not None:
            return found
        tz = self.cal.tz
        day_a, day_b = (t.astimezone(tz).date().toordinal() for t in (a, b))
        # One table for both ends: a rebuild between them would move the origin.
        table = self._cover(min(day_a, day_b) - 1, max(day_a, day_b) + 1)
        result = self._upto(table, b, day_b) - self._upto(table, a, day_a)
        if len(self.memo) > _MEMO_LIMIT:
            self.memo.clear()
        self.memo[(a, b)] = result
        return result

    def _upto(
        self, table: tuple[int, tuple[dt.timedelta, ...]], t: dt.datetime, day: int
    ) -> dt.timedelta:
        origin, totals = table
        # Periods of a date lie within that local day, so only the dates around `t` can be
        # partly worked by `t`; every earlier date counts in full.
        total = totals[day - 1 - origin]
        for ordinal in (day - 1, day, day + 1):
            for s, e in self.cal.periods(dt.date.fromordinal(ordinal)):
                if s < t:
                    total += min(e, t) - s
        return total

    def _cover(self, first: int, last: int) -> tuple[int, tuple[dt.timedelta, ...]]:
        origin, totals = self.table
        if totals and origin <= first and last + 1 < origin + len(totals):
            return origin, totals
        lo = min(first, origin) - self._PAD if totals else first - self._PAD
        hi = max(last, origin + len(totals)) + self._PAD if totals else last + self._PAD
        running, built = dt.timedelta(0), [dt.timedelta(0)]
        for ordinal in range(lo, hi + 1):
            running += sum(
                (e - s for s, e in self.cal.periods(dt.date.fromordinal(ordinal))),
                dt.timedelta(0),
            )
            built.append(running)
        self.table = (lo, tuple(built))
        return self.table


def is_open(cal: BusinessCalendar, t: dt.datetime) -> bool:
    """True when `t` falls inside working time (ranges include their start, exclude their end)."""
    t = _utc(t)
    return any(s <= t < e for s, e in cal.periods(t.astimezone(cal.tz).date()))


def next_open(cal: BusinessCalendar, t: dt.datetime) -> dt.datetime:
    """The first instant at or after `t` that is working time, as aware UTC."""
    return next(_periods_from(cal, _utc(t)))[0]


def _periods_from(
    cal: BusinessCalendar, t: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Working intervals from `t` onwards, the first one clipped to start at `t`."""
    day = t.astimezone(cal.tz).date()
    closed_run = 0
    while True:
        periods = cal.periods(day)
        for s, e in periods:
            if e > t:
                yield max(s, t), e
        closed_run = 0 if periods else closed_run + 1
        if closed_run > MAX_CLOSED_DAYS:
            raise ValueError(f"calendar has no working time in {MAX_CLOSED_DAYS} days after {t}")
        day += dt.timedelta(days=1)


def _utc(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got naive {t}")
    return t.astimezone(UTC)


def _wall_to_utc(tz: ZoneInfo, day: dt.date, minute: int) -> dt.datetime:
    """Real instant of a wall-clock minute on a local date (1440 means the next midnight)."""
    if minute == 1440:
        day, minute = day + dt.timedelta(days=1), 0
    naive = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    early = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)  # first occurrence if ambiguous
    if early.astimezone(tz).replace(tzinfo=None) == naive:
        return early
    # The wall time was skipped by a spring-forward: fold=1 and fold=0 bracket the jump.
    return _jump_between(tz, naive.replace(tzinfo=tz, fold=1).astimezone(UTC), early)


def _jump_between(tz: ZoneInfo, lo: dt.datetime, hi: dt.datetime) -> dt.datetime:
    """The instant in (lo, hi] where the UTC offset changes to hi's offset (to the second)."""
    target = hi.astimezone(tz).utcoffset()
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if dt.datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == target:
            hi_s = mid
        else:
            lo_s = mid
    return dt.datetime.fromtimestamp(hi_s, UTC)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
