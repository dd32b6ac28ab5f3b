"""Attainment to date and the pace needed to hit a goal. Pure, explicit `as_of`."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from tandem.analytics.periods import Period
from tandem.analytics.ratios import rate

Status = Literal["upcoming", "on_track", "behind", "met", "missed", "no_target", "no_data"]


class Pace(BaseModel):
    """Where a goal stands at `as_of`."""

    target: float
    actual: float | None
    attainment: float | None  # actual / target; None when the target is zero or no data
    expected_to_date: float  # the target pro-rated to the share of the period elapsed
    pace_needed_per_week: float | None  # for counts and money; None for rates or once met
    days_left: float
    status: Status


def pace(
    *, target: float, actual: float | None, period: Period, as_of: datetime, is_rate: bool = False
) -> Pace:
    """Attainment, expected-to-date and the weekly pace still needed.

    A rate (e.g. MQL to SQL conversion) is compared with its target as it stands; it does not
    accumulate, so it has no pace. A target of zero has no attainment (nothing to divide by).
    """
    elapsed = period.elapsed_fraction(as_of)
    days_left = max((period.end_at - max(as_of, period.start_at)).total_seconds() / 86400, 0.0)
    expected = target if is_rate else target * elapsed
    needed: float | None = None
    if actual is not None and not is_rate and actual < target and days_left > 0:
        needed = (target - actual) / (days_left / 7)
    status: Status
    if target == 0:
        status = "no_target"
    elif actual is None:
        status = "no_data"
    elif as_of < period.start_at:
        status = "upcoming"
    elif actual >= target:
        status = "met"
    elif as_of >= period.end_at:
        status = "missed"
    else:
        status = "on_track" if actual >= expected else "behind"
    return Pace(
        target=target,
        actual=actual,
        attainment=rate(actual, target) if actual is not None else None,
        expected_to_date=expected,
        pace_needed_per_week=needed,
        days_left=round(days_left, 2),
        status=status,
    )
