"""Notifications follow their lead: once the lead is handled (accepted, rejected, or its stage
closed: customer, disqualified, nurture), the notifications about it are done (`read_at` set),
so the bell counts only what still needs someone. A rejection tells the rep's managers.

Event handlers wired in the manifest; the handoff service is not changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.auth.models import Team, User
from tandem.auth.roles import Role
from tandem.events import HandoffAnswered, StageChanged
from tandem.handoff.intake import config_for
from tandem.handoff.models import Handoff, Notification
from tandem.handoff.notify import add_notifications, lead_labels, notification

#: Stages after which nothing about the lead is waiting for anyone.
CLOSED_STAGES = frozenset({"customer", "disqualified", "nurture"})
LEAD_REJECTED = "lead_rejected"


def _done(db_session: Session, contact_ids: Iterable[int], at: object) -> int:
    ids = sorted(set(contact_ids))
    done = 0
    for start in range(0, len(ids), 5_000):
        done += db_session.execute(
            update(Notification)
            .where(
                Notification.contact_id.in_(ids[start : start + 5_000]),
                Notification.read_at.is_(None),
                Notification.kind != LEAD_REJECTED,  # the manager still has to read why
            )
            .values(read_at=at)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
    return done


def managers_of(db_session: Session, user_id: int, handoff_id: int) -> list[int]:
    """Who manages the rep for this lead: the managers routing names for the lead's team and
    the rep (as escalations reach them), and the manager of the rep's team in Tandem."""
    found: set[int] = set()
    config = config_for(db_session)
    if config is not None:
        team = db_session.scalar(select(Handoff.team).where(Handoff.id == handoff_id))
        found |= config.managers_for(user_id, team)
    team_id = db_session.scalar(select(User.team_id).where(User.id == user_id))
    if team_id is not None:
        named = db_session.scalar(select(Team.manager_id).where(Team.id == team_id))
        found |= {named} if named is not None else set()
        found |= set(
            db_session.scalars(
                select(User.id).where(
                    User.team_id == team_id, User.role == Role.SALES_MANAGER.value, User.is_active
                )
            )
        )
    return sorted(found - {user_id})


def on_handoff_answered(db_session: Session, event: HandoffAnswered) -> None:
    """The lead's notifications are done; a rejection lands in the managers' inboxes."""
    _done(db_session, [event.contact_id], event.at)
    if event.answer != "rejected":
        return
    lead = lead_labels(db_session, [event.contact_id]).get(event.contact_id, "a lead")
    rep = db_session.scalar(select(User.name).where(User.id == event.by_user_id)) or "a rep"
    why = event.reason_code or "no reason given"
    add_notifications(
        db_session,
        [
            notification(
                user_id=manager,
                kind=LEAD_REJECTED,
                subject=f"{rep} rejected {lead}",
                body=f"Reason: {why}. The lead went back to marketing.",
                at=event.at,
                contact_id=event.contact_id,
                handoff_id=event.handoff_id,
                key=f"rejected:{event.handoff_id}:{manager}",
            )
            for manager in managers_of(db_session, event.by_user_id, event.handoff_id)
        ],
    )


def on_stage_changed(db_session: Session, event: StageChanged) -> None:
    """Leads whose stage closed need nothing more from anyone."""
    closed = [c for c in event.changes if c.to_stage in CLOSED_STAGES]
    if closed:
        _done(db_session, (c.contact_id for c in closed), max(c.at for c in closed))
