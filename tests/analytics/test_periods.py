"""Periods: labels, bounds, previous period; the pure parts of goals pace."""

from datetime import UTC, date, datetime

import pytest

from tandem.analytics.periods import PeriodError, months_between, parse_period


@pytest.mark.parametrize(
    ("label", "start", "end", "previous"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1), "2026-10"),
        ("2026-01", date(2026, 1, 1), date(2026, 2, 1), "2025-12"),
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 23), "2026-W46"),
        ("2026-w01", date(2025, 12, 29), date(2026, 1, 5), "2025-W52"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1), "2025-Q4"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "2025"),
    ],
)
def test_parse_period(label, start, end, previous):
    period = parse_period(label)
    assert (period.start, period.end, period.previous().label) == (start, end, previous)


@pytest.mark.parametrize("bad", ["2026-13", "2026-W60", "Q4", "last week", ""])
def test_bad_period_says_what_to_write(bad):
    with pytest.raises(PeriodError, match="2026-W47"):
        parse_period(bad)


def test_elapsed_fraction_and_months_between():
    q = parse_period("2026-Q4")
    assert q.elapsed_fraction(datetime(2026, 9, 1, tzinfo=UTC)) == 0
    assert q.elapsed_fraction(datetime(2027, 1, 5, tzinfo=UTC)) == 1
    assert months_between(date(2026, 10, 15), date(2027, 1, 2)) == [
        "2026-10",
        "2026-11",
        "2026-12",
        "2027-01",
    ]
