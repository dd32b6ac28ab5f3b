"""SLA clocks of many handoffs at once, for the scheduler's tick.

A clock's deadline and its escalation ladder depend only on the policy, the tier and when the
clock started, never on the lead: a tick that hands off 100,000 MQLs at one moment starts
100,000 identical pairs of clocks. So `sla_clock` (the one definition of a clock) runs once per
distinct (policy, tier, start), giving a `Plan`; each handoff then only compares its own
completion times and sent keys with that plan (`settle`). The result is exactly what
`tandem.handoff.clocks.evaluate` gives row by row, status objects aside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import NamedTuple

from tandem.handoff.calendar import BusinessCalendar
from tandem.handoff.sla import Action, ClockName, SlaPolicy, SlaTier, sla_clock

# Stands in for the clock's owner in the keys `sla_clock` makes; cut out again to give `tail`.
_OWNER = "\x00"
_PREFIX = f"sla:{_OWNER}"


class Step(NamedTuple):
    """One ladder step of one clock of a plan; a handoff's key is `sla:<owner><tail>`."""

    tail: str
    clock: ClockName
    step: str
    action: Action
    due_at: dt.datetime
    deadline: dt.datetime


class Plan(NamedTuple):
    """Both clocks' deadlines and ladders for one (policy, tier, start)."""

    accept_deadline: dt.datetime
    first_touch_deadline: dt.datetime
    accept: tuple[Step, ...]
    first_touch: tuple[Step, ...]


class Due(NamedTuple):
    """An escalation due now (the fields of `tandem.handoff.sla.Escalation` the tick uses)."""

    key: str
    clock: ClockName
    step: str
    action: Action
    due_at: dt.datetime
    deadline: dt.datetime


class Settled(NamedTuple):
    """One handoff at `as_of`: the escalations due now, and what the row stores."""

    due: list[Due]
    accept_due_at: dt.datetime | None
    first_touch_due_at: dt.datetime | None
    next_check_at: dt.datetime | None


NO_SLA = Settled([], None, None, None)


def plan(policy: SlaPolicy, calendar: BusinessCalendar, tier: SlaTier, start: dt.datetime) -> Plan:
    """The clocks every handoff under `policy`/`tier` started at `start` shares."""
    status = sla_clock(policy, calendar, contact_id=_OWNER, tier=tier, mql_at=start, as_of=start)
    first_touch = status.first_touch
    assert first_touch is not None  # nothing was rejected
    steps = {
        clock.name: tuple(
            Step(e.key[len(_PREFIX) :], e.clock, e.step, e.action, e.due_at, e.deadline)
            for e in clock.schedule
        )
        for clock in (status.accept, first_touch)
    }
    return Plan(
        status.accept.deadline,
        first_touch.deadline,
        steps[ClockName.ACCEPT],
        steps[ClockName.FIRST_TOUCH],
    )


class Planner:
    """Plans by (policy, tier, start), each computed once; one planner serves one tick."""

    def __init__(self) -> None:
        self._plans: dict[tuple[int, int, dt.datetime], Plan] = {}

    def get(
        self, policy: SlaPolicy, calendar: BusinessCalendar, tier: SlaTier, start: dt.datetime
    ) -> Plan:
        """The plan of these clocks (from memory after the first handoff that needs it)."""
        key = (id(policy), id(tier), start)
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = plan(policy, calendar, tier, start)
        return found


def settle(
    p: Plan,
    owner: str,
    *,
    start: dt.datetime,
    accepted_at: dt.datetime | None,
    rejected_at: dt.datetime | None,
    first_touch_at: dt.datetime | None,
    sent: Collection[str],
    as_of: dt.datetime,
) -> Settled:
    """One handoff's clocks under plan `p` at `as_of`, as `sla_clock` + `due_escalations` say.

    An acceptance before `start` (accepted, then reassigned) counts as at `start`. A decision
    or touch after `as_of` is not seen yet. A rejection completes the accept clock and ends the
    first-touch clock, which stays (breached) only if its deadline had passed.
    """
    if accepted_at is not None and accepted_at < start:
        accepted_at = start
    decided = min((t for t in (accepted_at, rejected_at) if t is not None), default=None)
    accept_open = decided is None or decided > as_of
    touched = first_touch_at is not None and first_touch_at <= as_of
    rejected = rejected_at is not None and rejected_at <= as_of
    if touched or not rejected:
        first_touch_due: dt.datetime | None = p.first_touch_deadline
        first_touch_open = not touched
    else:
        breached = rejected_at is not None and rejected_at > p.first_touch_deadline
        first_touch_due = p.first_touch_deadline if breached else None
        first_touch_open = False
    due: list[Due] = []
    later: list[dt.datetime] = []
    for is_open, steps in ((accept_open, p.accept), (first_touch_open, p.first_touch)):
        if not is_open:
            continue
        for s in steps:
            key = f"sla:{owner}{s.tail}"
            if key in sent:
                continue
            if s.due_at <= as_of:
                due.append(Due(key, s.clock, s.step, s.action, s.due_at, s.deadline))
            else:
                later.append(s.due_at)
    if len(due) > 1:
        due.sort(key=lambda e: (e.due_at, e.clock != ClockName.ACCEPT))
    return Settled(due, p.accept_deadline, first_touch_due, min(later, default=None))
