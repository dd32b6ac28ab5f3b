"""The SLA pass: evaluate the handoffs whose next check has come, act on due escalations once.

Idempotency lives in the database: each escalation's stable key is inserted into a unique
column first, and only the keys that actually landed are acted on. Re-running the pass, or
two workers running it at once, can therefore never notify or reassign twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.handoff.account_intake import account_facts
from tandem.handoff.assign import Router, lead_facts
from tandem.handoff.clock_sets import Due
from tandem.handoff.clocks import ClockSet
from tandem.handoff.models import Handoff, HandoffStatus, SlaEscalation, Subject
from tandem.handoff.notify import Kind, add_notifications, handoff_labels, notification
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.sla import Action
from tandem.sql import among, insert_ignore, update_by_id

# Handoffs read, evaluated and written back per round. It also orders what is stored: each
# round's reminders and alerts, then its reassignments' notices.
BATCH = 2_000
_CLOCK_WORDS = {"accept": "Accept", "first_touch": "First touch"}
_WHAT = {
    Subject.ACCOUNT: "MQA",
    Subject.EXPANSION: "expansion signal",
    Subject.CHURN_RISK: "churn risk",
}


@dataclass
class PassReport:
    """Counts from one SLA pass."""

    evaluated: int = 0
    escalations: int = 0
    reassigned: int = 0
    notifications: int = 0
    handoff_ids: list[int] = field(default_factory=list)


def sla_pass(
    db_session: Session,
    config: HandoffConfig,
    *,
    as_of: dt.datetime,
    router: Router | None = None,
    only: list[int] | None = None,
) -> PassReport:
    """Evaluate live handoffs due a check at `as_of` (or just the ids in `only`) and act."""
    report = PassReport()
    router = router or Router(db_session, config)
    clocks = ClockSet(config)
    table = Handoff.__table__
    last_id = 0
    while True:
        query = select(table).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)
        query = query.where(table.c.status.in_(HandoffStatus.LIVE))
        if only is not None:
            query = query.where(table.c.id.in_(only))
        else:
            query = query.where(table.c.next_check_at <= as_of)
        rows = db_session.execute(query).all()
        if not rows:
            break
        last_id = rows[-1].id
        _batch(db_session, clocks, router, rows, as_of, report)
    router.save()
    return report


def _batch(
    db: Session,
    clocks: ClockSet,
    router: Router,
    rows: list[Any],
    as_of: dt.datetime,
    report: PassReport,
) -> None:
    sent: dict[int, set[str]] = defaultdict(set)
    for hid, key in db.execute(
        select(SlaEscalation.handoff_id, SlaEscalation.key).where(
            among(SlaEscalation.handoff_id, [r.id for r in rows], db)
        )
    ):
        sent[hid].add(key)
    config = clocks.config
    updates, due = [], []
    for row in rows:
        ev = clocks.settle(row, sent[row.id], as_of)
        updates.append(_stored(row.id, ev))
        due += [(row, e) for e in ev.due]
    report.evaluated += len(rows)
    landed = {
        key
        for (key,) in insert_ignore(
            db,
            SlaEscalation,
            [
                {
                    "key": e.key,
                    "handoff_id": row.id,
                    "clock": e.clock,
                    "step": e.step,
                    "action": e.action,
                    "due_at": e.due_at,
                    "acted_at": as_of,
                }
                for row, e in due
            ],
            SlaEscalation.key,
        )
    }
    acts = [(row, e) for row, e in due if e.key in landed]
    report.escalations += len(acts)
    update_by_id(db, Handoff, updates)
    if not acts:
        return
    labels = handoff_labels(db, [row for row, _ in acts])
    people = _People(db, config, {row.owner_id for row, _ in acts if row.owner_id})
    notes = []
    reassign = {}
    for row, e in acts:
        if e.action is Action.REASSIGN:
            reassign.setdefault(row.id, row)
        else:
            notes += _tell(people, row, e, labels[row.id])
    notes += _reassign(db, clocks, router, list(reassign.values()), as_of, labels, report)
    report.notifications += add_notifications(db, notes)


def _stored(handoff_id: int, ev: Any) -> dict[str, Any]:
    return {
        "id": handoff_id,
        "accept_due_at": ev.accept_due_at,
        "first_touch_due_at": ev.first_touch_due_at,
        "next_check_at": ev.next_check_at,
    }


class _People:
    """Owner names and managers for one batch, looked up once."""

    def __init__(self, db: Session, config: HandoffConfig, owner_ids: set[int]) -> None:
        self.config = config
        self.names = dict(
            db.execute(select(User.id, User.name).where(User.id.in_(owner_ids))).all()
        )
        # Who hears about breaches no routing team manager covers (e.g. the fallback queue).
        self.all_managers = list(
            db.scalars(
                select(User.id).where(User.role == Role.SALES_MANAGER.value, User.is_active)
            ).all()
        )

    def managers(self, row: Any) -> list[int]:
        """The managers an alert about `row` goes to."""
        return sorted(self.config.managers_for(row.owner_id, row.team)) or self.all_managers


def _tell(people: _People, row: Any, e: Due, label: str) -> list[dict[str, Any]]:
    """The notifications of a remind_rep or alert_manager step."""
    clock = _CLOCK_WORDS.get(e.clock, e.clock)
    deadline = e.deadline.strftime("%Y-%m-%d %H:%M UTC")
    step = e.step.replace("_", " ")
    if e.action is Action.REMIND_REP:
        users = [row.owner_id] if row.owner_id else []
        kind, subject = Kind.SLA_REMINDER, f"{clock} due by {deadline}: {label}"
        what = _WHAT.get(row.subject, "MQL")
        body = f"{clock} for this {what} is {step}; the deadline is {deadline}."
    else:
        users = people.managers(row)
        who = people.names.get(row.owner_id) or f"queue {row.queue}"
        kind, subject = Kind.SLA_BREACH, f"SLA {step}: {clock} of {label}"
        body = f"{clock} by {who} was due {deadline} ({e.step})."
    return [
        notification(
            user_id=uid,
            kind=kind,
            subject=subject,
            body=body,
            at=e.due_at,
            contact_id=row.contact_id,
            handoff_id=row.id,
            key=f"{e.key}:{uid}",
        )
        for uid in users
    ]


def _reassign(
    db: Session,
    clocks: ClockSet,
    router: Router,
    rows: list[Any],
    as_of: dt.datetime,
    labels: dict[int, str],
    report: PassReport,
) -> list[dict[str, Any]]:
    """Route each lead again, away from its current owner, with fresh clocks."""
    if not rows:
        return []
    config = clocks.config
    facts = lead_facts(db, config, [r.contact_id for r in rows if r.contact_id is not None])
    by_account = account_facts(db, config, [r.account_id for r in rows if r.contact_id is None])
    notes: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    for row in rows:
        old_key = config.key_of(row.owner_id)
        lead = (
            facts[row.contact_id] if row.contact_id is not None else by_account[row.account_id][1]
        )
        decision = router.route(lead, exclude={old_key} if old_key else ())
        new_owner = config.user_id(decision.owner_id)
        if new_owner == row.owner_id and row.owner_id is not None:
            continue  # nobody else can take it (e.g. the account owner): keep it where it is
        router.release(old_key)
        values = {
            "owner_id": new_owner,
            "queue": decision.queue,
            "team": decision.team or row.team,
            "rule_id": decision.rule_id,
            "route_reason": f"reassigned after an SLA breach: {decision.reason}"[:1000],
            "clock_started_at": as_of,
            "reassignments": row.reassignments + 1,
        }
        ev = clocks.settle(SimpleNamespace(**{**row._asdict(), **values}), (), as_of)
        handoffs.append({**values, **_stored(row.id, ev)})  # _stored carries the id
        if row.contact_id is not None:
            contacts.append({"id": row.contact_id, "owner_id": new_owner})
        elif new_owner is not None:
            # The account follows its handoff, as a lead's contact does.
            accounts.append({"id": row.account_id, "owner_id": new_owner})
        report.reassigned += 1
        label = labels[row.id]
        if new_owner is not None:
            notes.append(
                notification(
                    user_id=new_owner,
                    kind=Kind.NEW_LEAD,
                    subject=f"Reassigned to you: {label}",
                    body="The previous owner missed the SLA; fresh clocks start now.",
                    at=as_of,
                    contact_id=row.contact_id,
                    handoff_id=row.id,
                    key=f"handoff:{row.id}:assigned:{new_owner}:{as_of.isoformat()}",
                )
            )
        if row.owner_id is not None:
            notes.append(
                notification(
                    user_id=row.owner_id,
                    kind=Kind.REASSIGNED_AWAY,
                    subject=f"Reassigned away from you: {label}",
                    body=f"The SLA was missed; it went to {decision.owner_id or decision.queue}.",
                    at=as_of,
                    contact_id=row.contact_id,
                    handoff_id=row.id,
                    key=f"handoff:{row.id}:away:{row.owner_id}:{as_of.isoformat()}",
                )
            )
    update_by_id(db, Handoff, handoffs)
    update_by_id(db, Contact, contacts)
    update_by_id(db, Account, accounts)
    return notes
