"""Calendar periods: months, quarters and ISO weeks as half-open UTC ranges. Pure, no clock."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


class PeriodError(ValueError):
    """A period label that cannot be read; the message says what is expected."""


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open range of days ``[start, end)`` with its label (``2026-11``, ``2026-Q4``...)."""

    label: str
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        """The first instant of the period, UTC."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The instant just after the period, UTC."""
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return (self.end - self.start).days

    def elapsed_fraction(self, as_of: datetime) -> float:
        """Share of the period gone by at `as_of`, between 0 and 1."""
        total = (self.end_at - self.start_at).total_seconds()
        return min(max((as_of - self.start_at).total_seconds() / total, 0.0), 1.0)

    def previous(self) -> "Period":
        """The period of the same kind just before this one."""
        return parse_period(_shift_label(self.label, -1))


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def month(year: int, month_no: int) -> Period:
    """A calendar month."""
    return Period(f"{year:04d}-{month_no:02d}", date(year, month_no, 1), _month_end(year, month_no))


def iso_week(year: int, week: int) -> Period:
    """An ISO week (Monday to Sunday)."""
    try:
        start = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"{year}-W{week:02d} is not an ISO week (write e.g. 2026-W47)") from None
    return Period(f"{year:04d}-W{week:02d}", start, start + timedelta(days=7))


def week_of(day: date) -> Period:
    """The ISO week containing `day`."""
    year, week, _ = day.isocalendar()
    return iso_week(year, week)


def quarter(year: int, q: int) -> Period:
    """A calendar quarter."""
    first = 3 * (q - 1) + 1
    return Period(f"{year:04d}-Q{q}", date(year, first, 1), _month_end(year, first + 2))


def parse_period(label: str) -> Period:
    """Read ``YYYY-MM``, ``YYYY-Www``, ``YYYY-Qn`` or ``YYYY``."""
    text = label.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text):
        return month(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", text):
        return iso_week(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        return quarter(int(m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})", text):
        year = int(m[1])
        return Period(f"{year:04d}", date(year, 1, 1), date(year + 1, 1, 1))
    raise PeriodError(f"{label!r} is not a period (write 2026-11, 2026-W47, 2026-Q4 or 2026)")


def _shift_label(label: str, step: int) -> str:
    period = parse_period(label)
    if "-W" in period.label:
        return week_of(period.start + timedelta(days=7 * step)).label
    if "-Q" in period.label:
        index = period.start.year * 4 + (period.start.month - 1) // 3 + step
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    if "-" in period.label:
        index = period.start.year * 12 + period.start.month - 1 + step
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    return f"{period.start.year + step:04d}"


def months_between(start: date, end: date) -> list[str]:
    """Labels of the months overlapping ``[start, end)``, in order."""
    labels = []
    index = start.year * 12 + start.month - 1
    while True:
        year, m = divmod(index, 12)
        if date(year, m + 1, 1) >= end:
            return labels
        labels.append(f"{year:04d}-{m + 1:02d}")
        index += 1
