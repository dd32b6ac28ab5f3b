"""SLA clocks and idempotent escalations on a New York business calendar (09:00-17:00)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.handoff.sla import (
    Action,
    ClockName,
    ClockStatus,
    SlaPolicy,
    TierFacts,
    due_escalations,
    sla_clock,
)

from .calendars import NEW_YORK, utc

POLICY = SlaPolicy(
    name="us-inbound",
    calendar="us",
    tiers=(
        {
            "name": "A",
            "match": {"grade": "A"},
            "accept_within_hours": 1,
            "first_touch_within_hours": 4,
        },
        {
            "name": "B",
            "match": {"grade": "B", "segment": ["smb", "mid-market"]},
            "accept_within_hours": 4,
            "first_touch_within_hours": 8,
        },
        {
            "name": "C",
            "accept_within_hours": 8,
            "first_touch_within_hours": 24,
            "at_risk_fraction": 0.5,
        },
    ),
    escalation=(
        {"after": "at_risk", "action": "remind_rep"},
        {"after": "breached", "action": "alert_manager"},
        {"after": "breached+2h", "action": "reassign", "clocks": "accept"},
    ),
)
TIER_A = POLICY.tiers[0]
# Friday 2026-03-06 16:30 EST. Accept (1h): 30 min Friday + 30 min Monday, after US clocks
# moved forward on Sunday: deadline Mon 09:30 EDT = 13:30Z; at risk (45 min) Mon 09:15 EDT.
MQL_AT = utc(2026, 3, 6, 21, 30)
ACCEPT_DEADLINE = utc(2026, 3, 9, 13, 30)
# First touch (4h): 30 min Friday + 3.5h Monday = Mon 12:30 EDT; at risk (3h) Mon 11:30 EDT.
TOUCH_DEADLINE = utc(2026, 3, 9, 16, 30)


def clock(as_of, **kw):
    return sla_clock(
        POLICY, NEW_YORK, contact_id="c1", tier=TIER_A, mql_at=MQL_AT, as_of=as_of, **kw
    )


@pytest.mark.parametrize(
    ("facts", "tier"),
    [
        (TierFacts(grade="A"), "A"),
        (TierFacts(grade="a", segment="enterprise"), "A"),
        (TierFacts(grade="B", segment="SMB"), "B"),
        (TierFacts(grade="B", segment="enterprise"), "C"),
        (TierFacts(), "C"),
    ],
)
def test_first_matching_tier_wins(facts, tier):
    assert POLICY.select_tier(facts).name == tier


def test_deadlines_run_on_business_time_across_the_dst_weekend():
    status = clock(utc(2026, 3, 6, 21, 45))
    assert status.accept.deadline == ACCEPT_DEADLINE
    assert status.accept.at_risk_at == utc(2026, 3, 9, 13, 15)
    assert status.first_touch.deadline == TOUCH_DEADLINE
    assert status.first_touch.at_risk_at == utc(2026, 3, 9, 15, 30)
    assert (status.policy, status.tier) == ("us-inbound", "A")


MIN = dt.timedelta(minutes=1)
ACCEPT_CASES = [
    # (id, as_of, completion kwargs, status, remaining, overdue)
    ("fresh", utc(2026, 3, 6, 21, 45), {}, ClockStatus.DUE, 45 * MIN, 0 * MIN),
    ("weekend freezes the clock", utc(2026, 3, 7, 17), {}, ClockStatus.DUE, 30 * MIN, 0 * MIN),
    ("75% used", utc(2026, 3, 9, 13, 20), {}, ClockStatus.AT_RISK, 10 * MIN, 0 * MIN),
    ("open at the deadline", ACCEPT_DEADLINE, {}, ClockStatus.BREACHED, 0 * MIN, 0 * MIN),
    ("an hour late", utc(2026, 3, 9, 14, 30), {}, ClockStatus.BREACHED, 0 * MIN, 60 * MIN),
    ("overdue stops at close", utc(2026, 3, 9, 23), {}, ClockStatus.BREACHED, 0 * MIN, 450 * MIN),
    (
        "accepted on the deadline",
        utc(2026, 3, 10),
        {"accepted_at": ACCEPT_DEADLINE},
        ClockStatus.MET,
        0 * MIN,
        0 * MIN,
    ),
    (
        "accepted early",
        utc(2026, 3, 10),
        {"accepted_at": utc(2026, 3, 6, 21, 40)},
        ClockStatus.MET,
        50 * MIN,
        0 * MIN,
    ),
    (
        "accepted late",
        utc(2026, 3, 10),
        {"accepted_at": utc(2026, 3, 9, 14)},
        ClockStatus.BREACHED,
        0 * MIN,
        30 * MIN,
    ),
    (
        "rejection also decides",
        utc(2026, 3, 10),
        {"rejected_at": utc(2026, 3, 9, 13)},
        ClockStatus.MET,
        30 * MIN,
        0 * MIN,
    ),
    (
        "acceptance after as_of is ignored",
        utc(2026, 3, 7),
        {"accepted_at": utc(2026, 3, 9, 14)},
        ClockStatus.DUE,
        30 * MIN,
        0 * MIN,
    ),
    ("as_of before the MQL", utc(2026, 3, 6, 12), {}, ClockStatus.DUE, 60 * MIN, 0 * MIN),
]


@pytest.mark.parametrize(
    ("as_of", "done", "status", "remaining", "overdue"),
    [c[1:] for c in ACCEPT_CASES],
    ids=[c[0] for c in ACCEPT_CASES],
)
def test_accept_clock(as_of, done, status, remaining, overdue):
    accept = clock(as_of, **done).accept
    assert (accept.status, accept.remaining, accept.overdue) == (status, remaining, overdue)


def test_first_touch_clock_is_separate_from_accept():
    status = clock(utc(2026, 3, 9, 15, 45), accepted_at=utc(2026, 3, 9, 13))
    assert status.accept.status is ClockStatus.MET
    assert status.first_touch.status is ClockStatus.AT_RISK
    assert status.first_touch.remaining == 45 * MIN
    touched = clock(
        utc(2026, 3, 10), accepted_at=utc(2026, 3, 9, 13), first_touch_at=utc(2026, 3, 9, 16)
    )
    assert touched.first_touch.status is ClockStatus.MET
    assert touched.first_touch.completed_at == utc(2026, 3, 9, 16)


def test_rejection_removes_first_touch_unless_touched_or_already_late():
    rejected = clock(utc(2026, 3, 10), rejected_at=utc(2026, 3, 9, 13))
    assert rejected.first_touch is None
    assert [c.name for c in rejected.clocks] == [ClockName.ACCEPT]
    touched_then_rejected = clock(
        utc(2026, 3, 10), first_touch_at=utc(2026, 3, 9, 12, 55), rejected_at=utc(2026, 3, 9, 13)
    )
    assert touched_then_rejected.first_touch.status is ClockStatus.MET
    # Rejected at 17:00Z, after the 16:30Z touch deadline, untouched: the breach stands.
    late = clock(utc(2026, 3, 10), rejected_at=utc(2026, 3, 9, 17))
    assert late.first_touch.status is ClockStatus.BREACHED
    assert late.first_touch.overdue == 30 * MIN
    assert due_escalations(late, set(), utc(2026, 3, 10)) == []


def keys(escalations):
    return [(e.clock, e.step, e.action) for e in escalations]


def test_escalations_come_due_in_ladder_order():
    assert due_escalations(clock(utc(2026, 3, 9, 13, 10)), set(), utc(2026, 3, 9, 13, 10)) == []
    as_of = utc(2026, 3, 9, 13, 20)
    assert keys(due_escalations(clock(as_of), set(), as_of)) == [
        (ClockName.ACCEPT, "at_risk", Action.REMIND_REP)
    ]
    # Scheduler down until 15:31Z: everything due meanwhile, oldest first, accept before touch.
    as_of = utc(2026, 3, 9, 15, 31)
    due = due_escalations(clock(as_of), set(), as_of)
    assert keys(due) == [
        (ClockName.ACCEPT, "at_risk", Action.REMIND_REP),
        (ClockName.ACCEPT, "breached", Action.ALERT_MANAGER),
        (ClockName.ACCEPT, "breached+2h", Action.REASSIGN),
        (ClockName.FIRST_TOUCH, "at_risk", Action.REMIND_REP),
    ]
    assert [e.due_at for e in due] == [
        utc(2026, 3, 9, 13, 15),
        ACCEPT_DEADLINE,
        utc(2026, 3, 9, 15, 30),
        utc(2026, 3, 9, 15, 30),
    ]


def test_the_same_breach_never_notifies_twice():
    as_of = utc(2026, 3, 9, 14)
    first = due_escalations(clock(as_of), set(), as_of)
    assert len(first) == 2
    sent = {e.key for e in first}
    assert due_escalations(clock(as_of), sent, as_of) == []
    later = utc(2026, 3, 9, 14, 5)
    assert due_escalations(clock(later), sent, later) == []


def test_keys_are_stable_and_tell_episodes_apart():
    as_of = utc(2026, 3, 9, 14)
    (key, *_) = (e.key for e in due_escalations(clock(as_of), set(), as_of))
    assert key == "sla:c1:20260306T213000Z:accept:at_risk:remind_rep"
    # The same contact recycled and back as MQL a week later is a new episode, new keys.
    again = sla_clock(
        POLICY,
        NEW_YORK,
        contact_id="c1",
        tier=TIER_A,
        mql_at=MQL_AT + dt.timedelta(days=7),
        as_of=as_of + dt.timedelta(days=7),
    )
    assert key not in {e.key for e in due_escalations(again, set(), as_of + dt.timedelta(days=7))}


def test_completed_clocks_do_not_escalate():
    as_of = utc(2026, 3, 10)
    done = clock(as_of, accepted_at=utc(2026, 3, 9, 13, 20), first_touch_at=utc(2026, 3, 9, 14))
    assert due_escalations(done, set(), as_of) == []
    late = clock(as_of, accepted_at=utc(2026, 3, 9, 14))
    assert late.accept.status is ClockStatus.BREACHED
    assert all(e.clock is ClockName.FIRST_TOUCH for e in due_escalations(late, set(), as_of))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=72 * 60), min_size=1, max_size=12))
def test_repeated_runs_send_each_step_exactly_once(offsets):
    """However often and whenever the scheduler runs, each key is returned at most once, and
    by the last run every step that came due has been returned."""
    sent: list[str] = []
    runs = sorted(MQL_AT + dt.timedelta(minutes=m) for m in offsets)
    for as_of in runs:
        sent += [e.key for e in due_escalations(clock(as_of), set(sent), as_of)]
    assert len(sent) == len(set(sent))
    final = clock(runs[-1])
    expected = {e.key for c in final.clocks for e in c.schedule if e.due_at <= runs[-1]}
    assert set(sent) == expected
