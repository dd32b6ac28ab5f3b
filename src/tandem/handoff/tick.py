"""One scheduler tick: the same function runs inside `tandem serve` and as `tandem sla tick`.

In order: close handoffs whose contact left the stage by another path; hand new MQLs to sales;
record first touches; evaluate SLA clocks and act on due escalations; send email. Every step
is idempotent, so ticks may overlap, repeat or be replayed with an explicit `as_of`.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.handoff.assign import Router
from tandem.handoff.escalate import sla_pass
from tandem.handoff.intake import hand_off, pending_mqls
from tandem.handoff.mail import Mailer, deliver
from tandem.handoff.models import Handoff, HandoffStatus, Subject
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import TickReport
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.lifecycle.stages import Stage
from tandem.settings import Settings
from tandem.sql import update_by_id

#: Activity types that count as sales' first touch of a lead.
FIRST_TOUCH_TYPES = ("sales_email", "sales_call", "meeting")


def close_departed(db_session: Session, as_of: dt.datetime) -> int:
    """Close live handoffs whose contact is no longer in the stage the handoff expects
    (open: mql, accepted: sal), e.g. disqualified by an import or moved on to SQL; and
    accepted account handoffs whose first touch is done."""
    closed = 0
    for status, stage in ((HandoffStatus.OPEN, Stage.MQL), (HandoffStatus.ACCEPTED, Stage.SAL)):
        moved = exists().where(
            Contact.id == Handoff.contact_id, Contact.lifecycle_stage != stage.value
        )
        closed += db_session.execute(
            update(Handoff)
            .where(Handoff.status == status, moved)
            .values(status=HandoffStatus.CLOSED, closed_at=as_of, next_check_at=None)
        ).rowcount  # type: ignore[attr-defined]
    # An accepted account handoff is done once its owner touched the account: the next
    # signal of its kind (or MQA episode) may be handed off again.
    closed += db_session.execute(
        update(Handoff)
        .where(
            Handoff.subject != Subject.LEAD,
            Handoff.status == HandoffStatus.ACCEPTED,
            Handoff.first_touch_at.is_not(None),
        )
        .values(status=HandoffStatus.CLOSED, closed_at=as_of, next_check_at=None)
    ).rowcount  # type: ignore[attr-defined]
    return closed


def record_first_touches(db_session: Session, as_of: dt.datetime) -> int:
    """Set `first_touch_at` from the owner's first sales activity after the MQL moment (with
    the lead, or with any contact of a handed-off account)."""
    found = db_session.execute(
        select(Handoff.id, func.min(Activity.occurred_at))
        .join(Activity, Activity.contact_id == Handoff.contact_id)
        .where(
            Handoff.status.in_(HandoffStatus.LIVE),
            Handoff.first_touch_at.is_(None),
            Handoff.owner_id.is_not(None),
            Activity.type.in_(FIRST_TOUCH_TYPES),
            Activity.actor_user_id == Handoff.owner_id,
            Activity.occurred_at >= Handoff.mql_at,
            Activity.occurred_at <= as_of,
        )
        .group_by(Handoff.id)
    ).all()
    found += db_session.execute(
        # An account's first touch: the owner's sales activity with any of its contacts.
        select(Handoff.id, func.min(Activity.occurred_at))
        .join(Contact, Contact.account_id == Handoff.account_id)
        .join(Activity, Activity.contact_id == Contact.id)
        .where(
            Handoff.subject != Subject.LEAD,
            Handoff.status.in_(HandoffStatus.LIVE),
            Handoff.first_touch_at.is_(None),
            Handoff.owner_id.is_not(None),
            Activity.type.in_(FIRST_TOUCH_TYPES),
            Activity.actor_user_id == Handoff.owner_id,
            Activity.occurred_at >= Handoff.mql_at,
            Activity.occurred_at <= as_of,
        )
        .group_by(Handoff.id)
    ).all()
    if found:
        # Checked again this tick: the touch completes the first-touch clock.
        update_by_id(
            db_session,
            Handoff,
            [{"id": hid, "first_touch_at": at, "next_check_at": as_of} for hid, at in found],
        )
    return len(found)


def run_tick(
    db_session: Session,
    config: HandoffConfig,
    *,
    as_of: dt.datetime,
    mailer: Mailer | None = None,
    digest_hours: int = 24,
    base_url: str = "",
    scores: ScoreProvider = table_scores,
    intake_limit: int | None = None,
    settings: Settings | None = None,
) -> TickReport:
    """Run every step once at `as_of`; see the module docstring."""
    started = time.perf_counter()
    report = TickReport(as_of=as_of)
    report.closed = close_departed(db_session, as_of)
    router = Router(db_session, config)
    new = pending_mqls(db_session, limit=intake_limit)
    routed = hand_off(db_session, config, new, as_of=as_of, router=router, scores=scores)
    report.routed = len(routed)
    report.first_touches = record_first_touches(db_session, as_of)
    sla = sla_pass(db_session, config, as_of=as_of, router=router)
    # New handoffs were evaluated as they were recorded; the pass saw only those with a step due.
    report.evaluated, report.escalations = report.routed + sla.evaluated, sla.escalations
    report.reassigned, report.notifications = sla.reassigned, sla.notifications
    if mailer is not None:
        report.emails, report.digests = deliver(
            db_session,
            config,
            mailer,
            as_of=as_of,
            digest_hours=digest_hours,
            base_url=base_url,
            scores=scores,
            settings=settings,
        )
    report.seconds = round(time.perf_counter() - started, 3)
    return report
