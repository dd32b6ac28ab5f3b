"""Marketing's side of the SLA: MQL volume commitments per month and segment, and attainment."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from tandem.definitions.base import ConfigModel, Frozen

#: A commitment for this segment counts MQLs of every segment.
ALL_SEGMENTS = "all"


class MqlCommitment(ConfigModel):
    """Marketing commits to `target` MQLs in `segment` during `month` ("YYYY-MM")."""

    month: str
    segment: str = ALL_SEGMENTS
    target: int = Field(ge=0)

    @field_validator("month", mode="before")
    @classmethod
    def _month(cls, value: object) -> object:
        if isinstance(value, dt.date):
            value = value.strftime("%Y-%m")
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise ValueError(f"month must be written 'YYYY-MM', got {value!r}")
        return value


class MqlEvent(Frozen):
    """A contact becoming an MQL, and the segment it was in at that moment."""

    contact_id: str
    at: dt.datetime
    segment: str | None = None


class CommitmentStatus(StrEnum):
    """Where a commitment stands at `as_of`."""

    UPCOMING = "upcoming"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MET = "met"
    MISSED = "missed"


class CommitmentRow(Frozen):
    """Attainment of one commitment at `as_of`."""

    month: str
    segment: str
    target: int
    actual: int
    attainment_pct: float | None  # None when the target is zero
    expected_to_date: float  # the target pro-rated to the time elapsed in the month
    pace_needed_per_day: float | None  # MQLs per remaining day to hit target; None once over
    status: CommitmentStatus


def commitment_attainment(
    commitments: Sequence[MqlCommitment],
    mql_events: Iterable[MqlEvent],
    as_of: dt.datetime,
    *,
    timezone: str = "UTC",
) -> list[CommitmentRow]:
    """Target, actual, attainment and pace per commitment, counting MQLs up to `as_of`.

    Months are calendar months in `timezone`. A contact counts once per month and segment even
    if it became an MQL twice (recycled and back), so reopens do not inflate the number.
    """
    tz = ZoneInfo(timezone)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in mql_events:
        if event.at > as_of:
            continue
        month = event.at.astimezone(tz).strftime("%Y-%m")
        seen[(month, ALL_SEGMENTS)].add(event.contact_id)
        if event.segment:
            seen[(month, event.segment.casefold())].add(event.contact_id)
    return [_row(c, len(seen[(c.month, c.segment.casefold())]), as_of, tz) for c in commitments]


def _row(c: MqlCommitment, actual: int, as_of: dt.datetime, tz: ZoneInfo) -> CommitmentRow:
    year, month = (int(p) for p in c.month.split("-"))
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall times, ignoring DST.
    start_u, end_u, now_u = (t.astimezone(dt.UTC) for t in (start, end, as_of))
    fraction = min(max((now_u - start_u) / (end_u - start_u), 0.0), 1.0)
    expected = c.target * fraction
    remaining = max(c.target - actual, 0)
    days_left = (end_u - max(now_u, start_u)).total_seconds() / 86400
    if actual >= c.target and now_u >= start_u:
        status = CommitmentStatus.MET
    elif now_u >= end_u:
        status = CommitmentStatus.MISSED
    elif now_u < start_u:
        status = CommitmentStatus.UPCOMING
    else:
        status = CommitmentStatus.ON_TRACK if actual >= expected else CommitmentStatus.BEHIND
    return CommitmentRow(
        month=c.month,
        segment=c.segment,
        target=c.target,
        actual=actual,
        attainment_pct=round(100 * actual / c.target, 1) if c.target else None,
        expected_to_date=round(expected, 2),
        pace_needed_per_day=round(remaining / days_left, 3) if days_left > 0 else None,
        status=status,
    )
