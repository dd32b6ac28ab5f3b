"""The one writer of deal stages: every move of a deal is checked, logged and audited here.

The deal forms, the API and the pipeline board call `enter_deal` for a new deal and
`move_deal` for a stage change; nothing else writes `opportunities.stage` or the closing
fields that follow from it (closed, won, closed at, lost reason).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.lifecycle.deal_moves import CLOSED, DealMove, check_deal_move
from tandem.lifecycle.models import DealStageTransition
from tandem.opportunities.models import Opportunity
from tandem.opportunities.stages import DealStage


def _apply(deal: Opportunity, move: DealMove, at: dt.datetime) -> None:
    deal.stage = move.to_stage.value
    deal.is_closed = move.to_stage in CLOSED
    deal.is_won = move.to_stage is DealStage.CLOSED_WON
    deal.closed_at = at if deal.is_closed else None
    deal.lost_reason = move.lost_reason


def _log(
    db_session: Session, deal: Opportunity, move: DealMove, at: dt.datetime, by: int | None
) -> DealStageTransition:
    row = DealStageTransition(
        opportunity_id=deal.id,
        from_stage=move.from_stage,
        to_stage=move.to_stage.value,
        occurred_at=at,
        by_user_id=by,
        reason=move.reason or move.lost_reason,
    )
    db_session.add(row)
    return row


def enter_deal(
    *,
    db_session: Session,
    deal: Opportunity,
    stage: DealStage | str,
    at: dt.datetime,
    by_user_id: int | None,
    reason: str | None = None,
    lost_reason: str | None = None,
) -> Opportunity:
    """Add the new `deal` in `stage` and log its entry (the caller audits the creation)."""
    move = check_deal_move(None, stage, reason, lost_reason=lost_reason)
    _apply(deal, move, at)
    db_session.add(deal)
    db_session.flush()
    _log(db_session, deal, move, at, by_user_id)
    return deal


def move_deal(
    *,
    db_session: Session,
    deal: Opportunity,
    to_stage: DealStage | str,
    at: dt.datetime,
    by_user_id: int | None,
    reason: str | None = None,
    lost_reason: str | None = None,
    move: DealMove | None = None,
) -> DealStageTransition:
    """Move `deal` to `to_stage` (IllegalTransition when not allowed), logged and audited.
    Pass a `move` already checked to log it as is."""
    before = deal.stage
    move = move or check_deal_move(before, to_stage, reason, lost_reason=lost_reason)
    if move.to_stage != to_stage:
        raise ValueError("the checked move does not match the deal's stage change")
    _apply(deal, move, at)
    row = _log(db_session, deal, move, at, by_user_id)
    audit.record(
        db_session=db_session,
        actor_user_id=by_user_id,
        action="deal.stage",
        entity_type="opportunity",
        entity_id=deal.id,
        before={"stage": before},
        after={"stage": move.to_stage.value, "reason": move.reason, "lost": move.lost_reason},
    )
    db_session.flush()
    return row
