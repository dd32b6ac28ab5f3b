"""Stage moves in the database: every change goes through `check_move` and the transition log.

The contact's stage, its `stage_entered_at` and the log row are written in the caller's
transaction, so they commit (or roll back) together.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.contacts.models import Contact
from tandem.handoff.calendar import BusinessCalendar
from tandem.handoff.transitions import Move, StageSpan, check_move, stage_spans
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.stages import Stage


def move_stage(
    *,
    db_session: Session,
    contact: Contact,
    to_stage: Stage | str,
    at: dt.datetime,
    by_user_id: int | None = None,
    cause: str | None = None,
    reason: str | None = None,
    move: Move | None = None,
) -> StageTransition:
    """Move `contact` to `to_stage` (raises IllegalTransition when the table forbids it).

    `cause` names what triggered the move (a scoring model version, a routing or SLA rule,
    `handoff:accept`...) and is stored as the log row's actor. Pass a `move` already checked
    (e.g. from `reject_move`) to log it as is.
    """
    checked = move or check_move(contact.lifecycle_stage, to_stage, reason)
    if checked.from_stage != (contact.lifecycle_stage or None) or checked.to_stage != to_stage:
        raise ValueError("the checked move does not match the contact's stage change")
    row = StageTransition(
        contact_id=contact.id,
        from_stage=contact.lifecycle_stage,
        to_stage=checked.to_stage.value,
        occurred_at=at,
        by_user_id=by_user_id,
        actor=cause,
        reason=checked.reason,
    )
    db_session.add(row)
    before = contact.lifecycle_stage
    contact.lifecycle_stage = checked.to_stage.value
    contact.stage_entered_at = at
    if by_user_id is not None:  # a person moved it (accept, reject, an override): audited
        audit.record(
            db_session=db_session,
            actor_user_id=by_user_id,
            action="stage.move",
            entity_type="contact",
            entity_id=contact.id,
            before={"stage": before},
            after={"stage": checked.to_stage.value, "cause": cause, "reason": checked.reason},
        )
    db_session.flush()
    return row


def stage_history(
    *,
    db_session: Session,
    contact_id: int,
    as_of: dt.datetime,
    calendar: BusinessCalendar | None = None,
) -> list[StageSpan]:
    """Each stay of the contact in each stage, derived from its transition log."""
    rows = db_session.execute(
        select(
            StageTransition.contact_id,
            StageTransition.from_stage,
            StageTransition.to_stage,
            StageTransition.occurred_at.label("at"),
        )
        .where(StageTransition.contact_id == contact_id)
        .order_by(StageTransition.occurred_at, StageTransition.id)
    ).all()
    return stage_spans(rows, as_of, calendar=calendar)
