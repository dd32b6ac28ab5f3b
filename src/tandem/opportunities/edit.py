"""Creating, editing and deleting a deal by hand (the forms and the API).

A deal's stage is never written here: a new deal enters its stage and a changed stage moves
through `tandem.lifecycle.deal_service`, checked before anything is written. A deal is made on
an account the user may open; a rep's deal is the rep's own.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.visibility import Visibility
from tandem.contacts.models import Contact
from tandem.errors import Forbidden
from tandem.ids import BodyId
from tandem.lifecycle import deal_service
from tandem.lifecycle.deal_moves import DealMove, check_deal_move
from tandem.lifecycle.moves import IllegalTransition
from tandem.opportunities.models import Opportunity
from tandem.opportunities.stages import LOST_REASONS, DealStage, DealType
from tandem.records import editing
from tandem.records.editing import FieldError
from tandem.records.fields import Amount, code, partial, required, text

KIND = "opportunity"
FIELDS = (
    "name",
    "account_id",
    "primary_contact_id",
    "amount",
    "currency",
    "expected_close_on",
    "deal_type",
    "product_line",
    "segment",
    "region",
    "vertical",
    "owner_id",
)
LostReason = Literal[LOST_REASONS]  # type: ignore[valid-type]
#: Close dates a deal may expect: a typo of year 20266 is refused, not stored.
FIRST_DAY, LAST_DAY = dt.date(1990, 1, 1), dt.date(2100, 12, 31)


class DealFields(BaseModel):
    """A deal's editable fields, as a form or an API body gives them."""

    model_config = ConfigDict(extra="forbid")

    name: required(300)
    account_id: BodyId
    primary_contact_id: BodyId | None = None
    amount: Amount = None
    currency: code(3, "ISO currency code; the workspace currency when not given") = None
    expected_close_on: dt.date | None = Field(None, ge=FIRST_DAY, le=LAST_DAY)
    deal_type: DealType = DealType.NEW
    product_line: text(100) = None
    segment: text(50) = None
    region: text(50) = None
    vertical: text(100) = None
    owner_id: editing.OwnerId = None


class StageMove(BaseModel):
    """A stage change: a lost deal names its lost reason; moving a closed deal, a reason."""

    model_config = ConfigDict(extra="forbid")

    stage: DealStage
    lost_reason: LostReason | None = None
    reason: text(500) = None


class DealNew(DealFields):
    """A new deal, entering the pipeline at `stage`."""

    stage: DealStage = DealStage.DISCOVERY
    lost_reason: LostReason | None = None
    stage_reason: text(500) = None


class DealEdit(DealFields):
    """An edit; a new `stage` moves through the lifecycle."""

    stage: DealStage | None = None
    lost_reason: LostReason | None = None
    stage_reason: text(500) = None


DealPatch = partial(DealEdit, "DealPatch")


def _check_links(db_session: Session, data: DealFields, visible_to: Visibility) -> None:
    account = select(Account.id).where(
        Account.id == data.account_id, visibility.accounts(visible_to)
    )
    if db_session.scalar(account) is None:
        if db_session.get(Account, data.account_id) is not None:
            raise Forbidden(f"account {data.account_id} belongs to someone else")
        raise FieldError("account_id", f"no account {data.account_id}")
    if data.primary_contact_id is not None:
        person = select(Contact.id).where(
            Contact.id == data.primary_contact_id, visibility.contacts(visible_to)
        )
        if db_session.scalar(person) is None:
            raise FieldError(
                "primary_contact_id", f"no contact {data.primary_contact_id} you may open"
            )
    editing.check_user(db_session, "owner_id", data.owner_id)


def _move(frm: str | None, to: DealStage, reason: str | None, lost: str | None) -> DealMove:
    try:
        return check_deal_move(frm, to, reason, lost_reason=lost)
    except IllegalTransition as exc:
        field = "lost_reason" if "lost reason" in exc.why else "stage"
        raise FieldError(field, exc.why) from None


def create_deal(
    *,
    db_session: Session,
    data: DealNew,
    actor: User,
    visible_to: Visibility,
    currency: str,
    at: dt.datetime,
) -> Opportunity:
    """Store a new deal on an account the actor may open (403 otherwise), its stage entry
    logged by the lifecycle, audited."""
    owner = data.owner_id if data.owner_id or actor.role != Role.SALES_REP else actor.id
    data = data.model_copy(update={"owner_id": editing.owner_for(actor, owner, None, KIND)})
    _check_links(db_session, data, visible_to)
    _move(None, data.stage, data.stage_reason, data.lost_reason)
    values = data.model_dump(include=set(FIELDS))
    deal = Opportunity(**values, created_at=at)
    deal.currency = data.currency or currency
    deal_service.enter_deal(
        db_session=db_session,
        deal=deal,
        stage=data.stage,
        at=at,
        by_user_id=actor.id,
        reason=data.stage_reason,
        lost_reason=data.lost_reason,
    )
    editing.created(db_session, record=deal, kind=KIND, actor=actor, fields=(*FIELDS, "stage"))
    return deal


def update_deal(
    *,
    db_session: Session,
    deal: Opportunity,
    data: DealEdit,
    version: int,
    actor: User,
    visible_to: Visibility,
    at: dt.datetime,
) -> Opportunity:
    """Apply an edit made from `version` (StaleEdit when the deal changed since); a stage
    change is checked before any write and made by the lifecycle."""
    editing.check_version(db_session, deal, KIND, version, (*FIELDS, "stage"))
    editing.owner_for(actor, data.owner_id, deal.owner_id, KIND)
    _check_links(db_session, data, visible_to)
    move = None
    if data.stage is not None and data.stage != deal.stage:
        move = _move(deal.stage, data.stage, data.stage_reason, data.lost_reason)
    values = data.model_dump(include=set(FIELDS))
    values["currency"] = data.currency or deal.currency
    editing.update(db_session, record=deal, kind=KIND, values=values, version=version, actor=actor)
    if move is not None:
        _apply(db_session, deal, move, actor, at)
    return deal


def move_deal(
    *,
    db_session: Session,
    deal: Opportunity,
    move: StageMove,
    version: int,
    actor: User,
    at: dt.datetime,
) -> Opportunity:
    """The board's move: `deal` to `move.stage` if `version` is current, by the lifecycle."""
    editing.check_version(db_session, deal, KIND, version, (*FIELDS, "stage"))
    _apply(
        db_session, deal, _move(deal.stage, move.stage, move.reason, move.lost_reason), actor, at
    )
    return deal


def _apply(
    db_session: Session, deal: Opportunity, move: DealMove, actor: User, at: dt.datetime
) -> None:
    deal_service.move_deal(
        db_session=db_session,
        deal=deal,
        to_stage=move.to_stage,
        at=at,
        by_user_id=actor.id,
        move=move,
    )


def delete_deal(*, db_session: Session, deal: Opportunity, actor: User) -> None:
    """Delete the deal (admins and sales managers), audited with its last values."""
    editing.delete(db_session, record=deal, kind=KIND, actor=actor, fields=(*FIELDS, "stage"))
