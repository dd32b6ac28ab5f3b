"""Marketing's MQL commitments: attainment and pace, month by month and segment by segment."""

import datetime as dt

import pytest
from pydantic import ValidationError

from tandem.handoff.commitments import (
    CommitmentStatus,
    MqlCommitment,
    MqlEvent,
    commitment_attainment,
)

from .calendars import ny, utc


def events(n, segment, day, start=0):
    return [
        MqlEvent(contact_id=f"{segment}-{i}", at=utc(2026, 7, day, 12), segment=segment)
        for i in range(start, start + n)
    ]


JULY = [
    *events(30, "enterprise", 3),
    *events(5, "enterprise", 10),  # the same five contacts again (recycled): counted once
    *events(80, "smb", 4),
    *events(9, "enterprise", 20, start=100),  # after as_of: not counted yet
]
AS_OF = utc(2026, 7, 16)  # 15 of July's 31 days are over


def test_attainment_expected_and_pace():
    rows = commitment_attainment(
        [MqlCommitment(month="2026-07", segment="enterprise", target=60)], JULY, AS_OF
    )
    (row,) = rows
    assert (row.actual, row.attainment_pct, row.status) == (30, 50.0, CommitmentStatus.ON_TRACK)
    assert row.expected_to_date == round(60 * 15 / 31, 2)  # 29.03: 30 is just ahead
    assert row.pace_needed_per_day == 1.875  # 30 more in 16 days


def test_status_per_situation():
    commitments = [
        MqlCommitment(month="2026-07", segment="smb", target=300),  # 80 < 145 expected
        MqlCommitment(month="2026-07", segment="all", target=100),  # 110 MQLs: met early
        MqlCommitment(month="2026-06", segment="smb", target=10),  # June had none
        MqlCommitment(month="2026-08", segment="smb", target=10),
        MqlCommitment(month="2026-07", segment="mid-market", target=0),
    ]
    rows = commitment_attainment(commitments, JULY, AS_OF)
    assert [(r.actual, r.status) for r in rows] == [
        (80, CommitmentStatus.BEHIND),
        (110, CommitmentStatus.MET),
        (0, CommitmentStatus.MISSED),
        (0, CommitmentStatus.UPCOMING),
        (0, CommitmentStatus.MET),
    ]
    assert rows[1].pace_needed_per_day == 0.0
    assert rows[2].pace_needed_per_day is None
    assert rows[3].pace_needed_per_day == round(10 / 31, 3)
    assert rows[4].attainment_pct is None


def test_months_follow_the_reporting_time_zone():
    late_evening = [
        MqlEvent(contact_id="x", at=ny(2026, 7, 31, 23, 30), segment="smb")
    ]  # Aug 1 in UTC
    july = [MqlCommitment(month="2026-07", segment="SMB", target=1)]
    assert commitment_attainment(july, late_evening, utc(2026, 8, 2))[0].actual == 0
    assert (
        commitment_attainment(july, late_evening, utc(2026, 8, 2), timezone="America/New_York")[
            0
        ].actual
        == 1
    )


def test_month_is_validated():
    with pytest.raises(ValidationError, match="YYYY-MM"):
        MqlCommitment(month="2026-13", target=1)
    assert MqlCommitment(month=dt.date(2026, 7, 1), target=1).month == "2026-07"
