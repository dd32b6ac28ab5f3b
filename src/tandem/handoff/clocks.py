"""SLA clocks of stored handoffs: the pure `sla_clock` applied to a handoff row.

Besides the status, an evaluation gives what the row stores so SQL can sort and the scheduler
can skip rows with nothing to do: both due times and `next_check_at`, the earliest moment an
escalation not yet acted on comes due (None when none is left).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from tandem.handoff.clock_sets import NO_SLA as NOTHING_DUE
from tandem.handoff.clock_sets import Planner, Settled, settle
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.sla import Escalation, SlaPolicy, SlaStatus, SlaTier, due_escalations, sla_clock
from tandem.handoff.sla_rules import LEAD


@dataclass(frozen=True)
class Evaluation:
    """One handoff's clocks at `as_of`, the escalations due now, and what to store."""

    status: SlaStatus | None  # None when no SLA tier applies
    due: list[Escalation]
    accept_due_at: dt.datetime | None
    first_touch_due_at: dt.datetime | None
    next_check_at: dt.datetime | None


NO_SLA = Evaluation(None, [], None, None, None)


def policy_and_tier(config: HandoffConfig, row: Any) -> tuple[SlaPolicy, SlaTier] | None:
    """The policy and tier stored on a handoff, as they are defined now (None if gone)."""
    subject = getattr(row, "subject", None) or LEAD
    policy = next((p for p in config.sla.all_policies if p.name == row.policy), None)
    policy = policy or config.sla.policy_for_team(row.team, subject)
    if policy is None or row.tier is None:
        return None
    tier = next((t for t in policy.tiers if t.name == row.tier), None)
    return None if tier is None else (policy, tier)


def clock_key(row: Any) -> str:
    """Whose clocks these are, in escalation keys: the contact of a lead (as before), else
    the subject, account and episode (`account:12:mqa:<moment>`)."""
    subject = getattr(row, "subject", None) or LEAD
    if subject == LEAD:
        return str(row.contact_id)
    return f"{subject}:{row.account_id}:{row.episode}"


def evaluate(
    config: HandoffConfig, row: Any, sent: Collection[str], as_of: dt.datetime
) -> Evaluation:
    """Evaluate a handoff row (ORM object or result row with the Handoff columns)."""
    found = policy_and_tier(config, row)
    if found is None:
        return NO_SLA
    policy, tier = found
    start = row.clock_started_at
    accepted = row.accepted_at
    if accepted is not None and accepted < start:
        # Reassigned after it was accepted: the new owner's accept clock is already met.
        accepted = start
    status = sla_clock(
        policy,
        config.sla.calendar_for(policy),
        contact_id=clock_key(row),
        tier=tier,
        mql_at=start,
        as_of=as_of,
        accepted_at=accepted,
        rejected_at=row.rejected_at,
        first_touch_at=row.first_touch_at,
    )
    due = due_escalations(status, sent, as_of)
    acted = set(sent) | {e.key for e in due}
    later = [
        e.due_at
        for clock in status.clocks
        if clock.is_open
        for e in clock.schedule
        if e.key not in acted
    ]
    return Evaluation(
        status=status,
        due=due,
        accept_due_at=status.accept.deadline,
        first_touch_due_at=status.first_touch.deadline if status.first_touch else None,
        next_check_at=min(later, default=None),
    )


class ClockSet:
    """The tick's evaluation of many handoff rows: `evaluate` without the status objects,
    each distinct (policy, tier, clock start) worked out once (see `clock_sets`)."""

    def __init__(self, config: HandoffConfig) -> None:
        self.config = config
        self.planner = Planner()
        self._found: dict[tuple[Any, ...], tuple[SlaPolicy, SlaTier] | None] = {}

    def settle(self, row: Any, sent: Collection[str], as_of: dt.datetime) -> Settled:
        """What `evaluate(config, row, sent, as_of)` gives, minus `status`."""
        subject = getattr(row, "subject", None) or LEAD
        which = (subject, row.policy, row.team, row.tier)
        if which not in self._found:
            self._found[which] = policy_and_tier(self.config, row)
        found = self._found[which]
        if found is None:
            return NOTHING_DUE
        policy, tier = found
        start = row.clock_started_at
        plan = self.planner.get(policy, self.config.sla.calendar_for(policy), tier, start)
        return settle(
            plan,
            clock_key(row),
            start=start,
            accepted_at=row.accepted_at,
            rejected_at=row.rejected_at,
            first_touch_at=row.first_touch_at,
            sent=sent,
            as_of=as_of,
        )
