"""SLA clocks on business time, and the escalations they make due (each exactly once).

Two clocks start when a lead becomes an MQL (or is reassigned): accept (accept or reject) and
first touch. A clock is met when completed by its deadline, breached when not; until then it is
due, or at risk once `at_risk_fraction` of its business time is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from enum import StrEnum

from tandem.definitions.base import Frozen
from tandem.handoff.calendar import UTC, BusinessCalendar, add_business_time, business_time_between
from tandem.handoff.sla_rules import (
    Action,
    ClockName,
    EscalationStep,
    SlaConfig,
    SlaPolicy,
    SlaTier,
    TierFacts,
    Trigger,
)

__all__ = [
    "Action",
    "Clock",
    "ClockName",
    "ClockStatus",
    "Escalation",
    "SlaConfig",
    "SlaPolicy",
    "SlaStatus",
    "SlaTier",
    "TierFacts",
    "due_escalations",
    "sla_clock",
]

_ZERO = dt.timedelta(0)


class ClockStatus(StrEnum):
    """Where one SLA clock stands at `as_of`."""

    DUE = "due"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


class Escalation(Frozen):
    """One ladder step for one clock of one lead; `key` is stable, so it is sent at most once."""

    key: str
    contact_id: str
    clock: ClockName
    step: str  # the step's `after`, e.g. "breached+4h"
    action: Action
    due_at: dt.datetime
    deadline: dt.datetime


class Clock(Frozen):
    """One SLA clock at `as_of`. `remaining`/`overdue` are business time, never negative."""

    name: ClockName
    started_at: dt.datetime
    at_risk_at: dt.datetime
    deadline: dt.datetime
    completed_at: dt.datetime | None  # None while open at as_of
    status: ClockStatus
    remaining: dt.timedelta  # until the deadline (slack left at completion once met)
    overdue: dt.timedelta  # past the deadline (at completion, or at as_of while open)
    schedule: tuple[Escalation, ...]  # every ladder step for this clock, due or not

    @property
    def is_open(self) -> bool:
        """True until the clock is completed (accepted, rejected or touched)."""
        return self.completed_at is None


class SlaStatus(Frozen):
    """Both clocks of one lead at `as_of`; `first_touch` is None when rejected before it was due."""

    contact_id: str
    policy: str
    tier: str
    as_of: dt.datetime
    accept: Clock
    first_touch: Clock | None

    @property
    def clocks(self) -> tuple[Clock, ...]:
        """The clocks that apply to this lead."""
        return (self.accept,) if self.first_touch is None else (self.accept, self.first_touch)


def sla_clock(
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    *,
    contact_id: str,
    tier: SlaTier,
    mql_at: dt.datetime,
    as_of: dt.datetime,
    accepted_at: dt.datetime | None = None,
    rejected_at: dt.datetime | None = None,
    first_touch_at: dt.datetime | None = None,
) -> SlaStatus:
    """Evaluate the accept and first-touch clocks of one lead at `as_of`.

    `tier` comes from `policy.select_tier(facts)`. `mql_at` is when the clocks start; after a
    reassignment, pass the assignment time to give the new owner fresh clocks (and fresh
    escalation keys). Completion times after `as_of` are ignored, so replays are faithful.
    A rejection completes the accept clock. It also ends the first-touch clock: no touch is
    owed when the lead was rejected in time (`first_touch` is None), but a touch deadline that
    had already passed stays breached.
    """

    def run(name: ClockName, hours: float, completed_at: dt.datetime | None) -> Clock:
        return _clock(
            policy, calendar, contact_id, name, mql_at, hours, tier.at_risk_fraction,
            completed_at, as_of,
        )  # fmt: skip

    decided = min((t for t in (accepted_at, rejected_at) if t is not None), default=None)
    accept = run(ClockName.ACCEPT, tier.accept_within_hours, decided)
    touched = first_touch_at is not None and first_touch_at <= as_of
    rejected = rejected_at is not None and rejected_at <= as_of
    first_touch: Clock | None = None
    if touched or not rejected:
        first_touch = run(ClockName.FIRST_TOUCH, tier.first_touch_within_hours, first_touch_at)
    else:
        closed = run(ClockName.FIRST_TOUCH, tier.first_touch_within_hours, rejected_at)
        first_touch = closed if closed.status is ClockStatus.BREACHED else None
    return SlaStatus(
        contact_id=contact_id,
        policy=policy.name,
        tier=tier.name,
        as_of=as_of,
        accept=accept,
        first_touch=first_touch,
    )


def due_escalations(
    status: SlaStatus, already_sent: Collection[str], as_of: dt.datetime
) -> list[Escalation]:
    """Escalations due at `as_of` whose keys are not in `already_sent`, in due order.

    A step is due once its time has come while its clock is still open; a clock completed by
    `as_of` escalates no further. Record each returned key when acting on it: the same key is
    never returned again, so a breach notifies once however often the scheduler runs. If the
    scheduler was down, every step that came due meanwhile is returned (check `due_at`).
    Pass the `as_of` the status was computed at, so completions up to then are seen.
    """
    out = []
    for clock in status.clocks:
        if clock.completed_at is not None and clock.completed_at <= as_of:
            continue
        out.extend(e for e in clock.schedule if e.due_at <= as_of and e.key not in already_sent)
    return sorted(out, key=lambda e: (e.due_at, e.clock != ClockName.ACCEPT))


def escalation_key(
    contact_id: str, started_at: dt.datetime, clock: ClockName, step: EscalationStep
) -> str:
    """Idempotency key of one step for one clock run; the clock start tells MQL episodes apart."""
    t = started_at.astimezone(UTC)
    # Formatted by hand: strftime is a measurable share of a 100,000-lead tick.
    start = f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}Z"
    return f"sla:{contact_id}:{start}:{clock}:{step.after}:{step.action}"


def _clock(
    policy: SlaPolicy,
    cal: BusinessCalendar,
    contact_id: str,
    name: ClockName,
    start: dt.datetime,
    within_hours: float,
    at_risk_fraction: float,
    completed_at: dt.datetime | None,
    as_of: dt.datetime,
) -> Clock:
    start = start.astimezone(UTC)
    within = dt.timedelta(hours=within_hours)
    until_risk = dt.timedelta(hours=within_hours * at_risk_fraction)
    at_risk_at = add_business_time(cal, start, until_risk)
    # Business time adds up, so the deadline is walked on from the at-risk moment.
    deadline = add_business_time(cal, at_risk_at, within - until_risk)
    done = (
        completed_at.astimezone(UTC) if completed_at is not None and completed_at <= as_of else None
    )
    # The deadline instant itself is still in time: met iff done <= deadline.
    if done is not None:
        status = ClockStatus.MET if done <= deadline else ClockStatus.BREACHED
        slack = business_time_between(cal, done, deadline)
    else:
        now = max(as_of, start)
        if now >= deadline:
            status = ClockStatus.BREACHED
        elif now >= at_risk_at:
            status = ClockStatus.AT_RISK
        else:
            status = ClockStatus.DUE
        slack = business_time_between(cal, now, deadline)
    remaining, overdue = max(slack, _ZERO), max(-slack, _ZERO)
    trigger_at = {Trigger.AT_RISK: at_risk_at, Trigger.BREACHED: deadline}
    schedule = tuple(
        Escalation(
            key=escalation_key(contact_id, start, name, step),
            contact_id=contact_id,
            clock=name,
            step=step.after,
            action=step.action,
            due_at=add_business_time(cal, trigger_at[step.trigger], step.delay)
            if step.delay
            else trigger_at[step.trigger],
            deadline=deadline,
        )
        for step in policy.escalation
        if name in step.clocks
    )
    return Clock(
        name=name,
        started_at=start,
        at_risk_at=at_risk_at,
        deadline=deadline,
        completed_at=done,
        status=status,
        remaining=remaining,
        overdue=overdue,
        schedule=schedule,
    )
