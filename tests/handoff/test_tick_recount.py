"""The SLA pass stores exactly what `sla_clock`, applied to each handoff on its own, says is due.

A generated world: a few hundred MQLs handed off at random moments (US leads to the reps,
the rest to the queue), some accepted, rejected or touched at random; the pass runs at a
random later moment. The recount evaluates every handoff row as read before the pass with
`clocks.evaluate` (the pure clock, row by row) and compares the escalations, notifications and
stored due times the pass wrote. The same pass again adds nothing.
"""

import datetime as dt
import random
from collections import Counter

import pytest
from sqlalchemy import select

from tandem.handoff.clocks import evaluate
from tandem.handoff.escalate import sla_pass
from tandem.handoff.intake import NewMql, hand_off
from tandem.handoff.models import Handoff, HandoffStatus, Notification, SlaEscalation
from tandem.handoff.notify import Kind
from tandem.handoff.sla import Action
from tests import factories as f

from .conftest import at


def world(db, config, rng: random.Random, n: int) -> None:
    for i in range(n):
        country = rng.choice(["US", "US", "DE", "FR"])
        acct = f.account(db, country=country)
        person = f.contact(db, account_id=acct.id, country=country, lifecycle_stage="mql")
        moment = at(rng.choice([-50, -26, -3.5, 0, 0.25, 1, 2.5, 4, 27]))
        hand_off(db, config, [NewMql(person.id, moment, f"test:{i}")], as_of=moment,
                 clock_start=moment)  # fmt: skip
    done = []
    for h in db.scalars(select(Handoff)):
        roll = rng.random()
        if roll < 0.15:
            h.status, h.accepted_at = HandoffStatus.ACCEPTED, h.clock_started_at + _later(rng)
        elif roll < 0.25:
            h.status, h.rejected_at = HandoffStatus.REJECTED, h.clock_started_at + _later(rng)
            h.reject_code = "bad_fit"
        if rng.random() < 0.2:
            h.first_touch_at = h.clock_started_at + _later(rng)
        # Deadlines moved by a change of mind: the pass must look at every row again.
        h.next_check_at = h.clock_started_at
        done.append(h)
    db.flush()


def _later(rng: random.Random) -> dt.timedelta:
    return dt.timedelta(minutes=rng.randrange(0, 60 * 30))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pass_stores_what_each_clock_says(db, people, config, seed):
    rng = random.Random(seed)
    world(db, config, rng, 120)
    as_of = at(rng.choice([5, 8, 30, 52]))
    before = db.execute(
        select(Handoff.__table__).where(
            Handoff.status.in_(HandoffStatus.LIVE), Handoff.next_check_at <= as_of
        )
    ).all()
    known = set(db.scalars(select(SlaEscalation.key)))
    owners = Counter()
    expected = {}
    for row in before:
        for e in evaluate(config, row, known, as_of).due:
            expected[e.key] = (row.id, e.clock, e.step, e.action, e.due_at)
            if e.action is Action.REMIND_REP and row.owner_id:
                owners[Kind.SLA_REMINDER] += 1
    assert len(expected) > 50  # the world has plenty due

    report = sla_pass(db, config, as_of=as_of)
    db.expire_all()

    stored = {
        e.key: (e.handoff_id, e.clock, e.step, e.action, e.due_at)
        for e in db.scalars(select(SlaEscalation).where(SlaEscalation.key.not_in(known)))
    }
    assert stored == expected
    assert report.evaluated == len(before) and report.escalations == len(expected)
    kinds = Counter(db.scalars(select(Notification.kind).where(Notification.created_at <= as_of)))
    assert kinds[Kind.SLA_REMINDER] == owners[Kind.SLA_REMINDER]
    reassigned = {hid for hid, _, _, action, _ in expected.values() if action == Action.REASSIGN}
    for row in before:
        h = db.get(Handoff, row.id)
        if row.id in reassigned and h.reassignments > row.reassignments:
            assert h.clock_started_at == as_of  # fresh clocks for the new owner
            continue
        acted = known | {k for k, v in expected.items() if v[0] == row.id}
        want = evaluate(config, row, acted, as_of)
        assert (h.accept_due_at, h.first_touch_due_at, h.next_check_at) == (
            want.accept_due_at,
            want.first_touch_due_at,
            want.next_check_at,
        )

    again = sla_pass(db, config, as_of=as_of)
    assert (again.escalations, again.notifications, again.reassigned) == (0, 0, 0)
