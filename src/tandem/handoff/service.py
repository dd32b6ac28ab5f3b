"""Sales' answer to a handoff: accept (to SAL) or reject with a reason (back to marketing).

Keyword-only functions raising domain errors; the web layer maps them to 403/409/422. An
answer is written with a conditional UPDATE on the still-open handoff, so of two reps
answering at once exactly one wins and the other gets `AlreadyHandled`, with nothing changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem import errors
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.events import HandoffAnswered, publish
from tandem.handoff.clocks import evaluate
from tandem.handoff.models import Handoff, HandoffStatus
from tandem.handoff.packet import latest_handoff
from tandem.handoff.reasons import check_reject_reason, reject_move
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import DecisionOut, HandoffRead
from tandem.lifecycle.moves import IllegalTransition, Move, check_move
from tandem.lifecycle.service import move_stage
from tandem.lifecycle.stages import Stage

SALES_ROLES = frozenset({Role.SALES_REP.value, Role.SALES_MANAGER.value})


class HandoffError(errors.DomainError):
    """Base of the handoff's domain errors."""


class NotAllowed(HandoffError, errors.Forbidden):
    """The user's role may not do this (e.g. a marketer accepting a lead)."""


class NotInQueue(HandoffError, errors.Conflict):
    """The lead is not in this user's queue (someone else's, or a queue reps cannot claim)."""


class AlreadyHandled(HandoffError, errors.Conflict):
    """The lead has no open handoff any more: accepted, rejected or closed already."""


class LeadNotFound(HandoffError, errors.NotFound):
    """No contact with that id."""


def ensure_sales(user: User) -> None:
    """Only sales reps and managers answer handoffs."""
    if user.role not in SALES_ROLES:
        raise NotAllowed(
            f"only sales reps and managers accept or reject leads (you are {user.role})"
        )


def in_queue(config: HandoffConfig, handoff: Handoff, user: User) -> bool:
    """True when `user` may answer `handoff`: it is theirs; it waits in a claimable fallback
    queue; or they manage the team it was routed to, or its owner's team."""
    if handoff.owner_id == user.id:
        return True
    if handoff.owner_id is None and config.rules.fallback.claimable:
        return True
    if user.role == Role.SALES_MANAGER.value:
        teams = config.managed_teams(user.id)
        if handoff.team in teams:
            return True
        return user.id in config.managers_for(handoff.owner_id, None)
    return False


def accept(
    *, db_session: Session, config: HandoffConfig, contact_id: int, user: User, as_of: dt.datetime
) -> DecisionOut:
    """Accept the lead: the handoff is answered, the contact moves MQL -> SAL, owned by `user`."""
    ensure_sales(user)
    handoff, contact = _open_handoff(db_session, config, contact_id, user)
    move = _checked(lambda: check_move(contact.lifecycle_stage, Stage.SAL))
    answer_open(
        db_session,
        handoff,
        status=HandoffStatus.ACCEPTED,
        accepted_at=as_of,
        accepted_by_id=user.id,
        owner_id=user.id,
    )
    move_stage(
        db_session=db_session,
        contact=contact,
        to_stage=Stage.SAL,
        at=as_of,
        by_user_id=user.id,
        cause="handoff:accept",
        move=move,
    )
    contact.owner_id = user.id
    publish(
        db_session, HandoffAnswered(handoff.id, contact.id, HandoffStatus.ACCEPTED, user.id, as_of)
    )
    return _done(db_session, config, handoff, contact, as_of)


def reject(
    *,
    db_session: Session,
    config: HandoffConfig,
    contact_id: int,
    user: User,
    reason_code: str,
    comment: str | None,
    as_of: dt.datetime,
) -> DecisionOut:
    """Reject the lead with a configured reason code (UnknownRejectReason otherwise): it goes
    back to marketing (nurture) or out (disqualified), as the reason says, with the reason."""
    ensure_sales(user)
    check_reject_reason(config.reject_reasons, reason_code)
    handoff, contact = _open_handoff(db_session, config, contact_id, user)
    note = (comment or "").strip() or None
    move = _checked(
        lambda: reject_move(config.reject_reasons, contact.lifecycle_stage, reason_code, note)
    )
    answer_open(
        db_session,
        handoff,
        status=HandoffStatus.REJECTED,
        rejected_at=as_of,
        rejected_by_id=user.id,
        reject_code=reason_code,
        reject_comment=note,
    )
    move_stage(
        db_session=db_session,
        contact=contact,
        to_stage=move.to_stage,
        at=as_of,
        by_user_id=user.id,
        cause=f"handoff:reject:{reason_code}",
        move=move,
    )
    answered = HandoffAnswered(
        handoff.id, contact.id, HandoffStatus.REJECTED, user.id, as_of, reason_code
    )
    publish(db_session, answered)
    return _done(db_session, config, handoff, contact, as_of)


def _open_handoff(
    db: Session, config: HandoffConfig, contact_id: int, user: User
) -> tuple[Handoff, Contact]:
    contact = db.get(Contact, contact_id)
    if contact is None:
        raise LeadNotFound(f"no contact with id {contact_id}")
    handoff = latest_handoff(db, contact_id)
    if handoff is None:
        raise AlreadyHandled(
            f"{contact.full_name} was never handed to sales (stage {contact.lifecycle_stage})"
        )
    if handoff.status != HandoffStatus.OPEN:
        raise AlreadyHandled(_handled(db, handoff, contact))
    if not in_queue(config, handoff, user):
        # Not naming whose queue: a rep may not see who another lead went to (issue 21).
        where = "another rep's queue" if handoff.owner_id else f"the {handoff.queue} queue"
        raise NotInQueue(f"{contact.full_name} is in {where}, not yours")
    return handoff, contact


def _handled(db: Session, handoff: Handoff, contact: Contact) -> str:
    if handoff.status == HandoffStatus.CLOSED:
        return f"{contact.full_name}'s handoff was closed (now {contact.lifecycle_stage})"
    by_id = handoff.accepted_by_id or handoff.rejected_by_id
    by = db.scalar(select(User.name).where(User.id == by_id)) if by_id else "someone"
    at = handoff.accepted_at or handoff.rejected_at
    what = "accepted" if handoff.status == HandoffStatus.ACCEPTED else "rejected"
    code = f" ({handoff.reject_code})" if handoff.reject_code else ""
    return f"{contact.full_name} was already {what}{code} by {by} at {at:%Y-%m-%d %H:%M} UTC"


def _checked(make_move: Callable[[], Move]) -> Move:
    """A stage move that is no longer allowed means the lead was handled another way."""
    try:
        return make_move()
    except IllegalTransition as exc:
        raise AlreadyHandled(str(exc)) from None


def answer_open(db: Session, handoff: Handoff, **values: object) -> None:
    """The conditional write that decides a race: only a still-open handoff is answered."""
    done = db.execute(
        update(Handoff)
        .where(
            Handoff.id == handoff.id,
            Handoff.status == HandoffStatus.OPEN,
            Handoff.owner_id.is_(None)
            if handoff.owner_id is None
            else Handoff.owner_id == handoff.owner_id,
        )
        .values(**values)
        .execution_options(synchronize_session="fetch")
    ).rowcount  # type: ignore[attr-defined]
    if done != 1:
        raise AlreadyHandled("someone else answered this lead a moment ago")


def _done(
    db: Session, config: HandoffConfig, handoff: Handoff, contact: Contact, as_of: dt.datetime
) -> DecisionOut:
    db.refresh(handoff)
    ev = evaluate(config, handoff, (), as_of)
    handoff.accept_due_at, handoff.first_touch_due_at = ev.accept_due_at, ev.first_touch_due_at
    # The scheduler re-derives the next check from the escalations already sent.
    handoff.next_check_at = as_of if ev.next_check_at else None
    db.flush()
    return DecisionOut(
        handoff=HandoffRead.model_validate(handoff), lifecycle_stage=contact.lifecycle_stage
    )
