"""Creating, editing and deleting a contact by hand (the forms and the API).

The lifecycle stage is never written here: a new contact enters its stage and a changed stage
moves through `tandem.lifecycle.service`, checked before anything is written.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.visibility import Visibility
from tandem.contacts.buying_roles import BuyingRole
from tandem.contacts.models import Contact
from tandem.ids import BodyId
from tandem.lifecycle import service as lifecycle
from tandem.lifecycle.moves import IllegalTransition, check_move
from tandem.lifecycle.stages import Stage
from tandem.records import editing
from tandem.records.editing import FieldError
from tandem.records.fields import Amount, Email, code, partial, text

KIND = "contact"
FIELDS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "country",
    "account_id",
    "owner_id",
    "buying_role",
    "budget",
    "authority",
    "need",
    "timeline",
)


class ContactFields(BaseModel):
    """A contact's editable fields, as a form or an API body gives them."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    first_name: text(100) = None
    last_name: text(100) = None
    title: text(200) = None
    phone: text(50) = None
    country: code(2, "ISO country code") = None
    account_id: BodyId | None = None
    owner_id: BodyId | None = None
    buying_role: BuyingRole = BuyingRole.UNKNOWN
    budget: Amount = None
    authority: text(30) = None
    need: text(30) = None
    timeline: text(30) = None


class ContactNew(ContactFields):
    """A new contact, entering the lifecycle at `lifecycle_stage`."""

    lifecycle_stage: Stage = Stage.LEAD


class ContactEdit(ContactFields):
    """An edit; a new `lifecycle_stage` moves through the lifecycle (a reason where a move
    backwards or out needs one)."""

    lifecycle_stage: Stage | None = None
    stage_reason: text(500) = None


ContactPatch = partial(ContactEdit, "ContactPatch")


def _check_links(
    db_session: Session, data: ContactFields, visible_to: Visibility, contact_id: int | None
) -> None:
    taken = select(Contact.id).where(Contact.email == data.email, Contact.id != (contact_id or 0))
    if db_session.scalar(select(exists(taken))):
        raise FieldError("email", f"another contact already has {data.email}")
    if data.account_id is not None:
        seen = select(Account.id).where(
            Account.id == data.account_id, visibility.accounts(visible_to)
        )
        if db_session.scalar(seen) is None:
            raise FieldError("account_id", f"no account {data.account_id} you may open")
    editing.check_user(db_session, "owner_id", data.owner_id)


def create_contact(
    *, db_session: Session, data: ContactNew, actor: User, visible_to: Visibility, at: dt.datetime
) -> Contact:
    """Store a new contact (a rep's own unless they name no one else), its lifecycle entry
    and an audit entry."""
    owner = data.owner_id if data.owner_id or actor.role != Role.SALES_REP else actor.id
    data = data.model_copy(update={"owner_id": editing.owner_for(actor, owner, None, KIND)})
    _check_links(db_session, data, visible_to, None)
    contact = Contact(**data.model_dump(include=set(FIELDS)))
    lifecycle.enter_stage(
        db_session=db_session,
        contact=contact,
        stage=data.lifecycle_stage,
        at=at,
        by_user_id=actor.id,
    )
    editing.created(db_session, record=contact, kind=KIND, actor=actor, fields=FIELDS)
    return contact


def update_contact(
    *,
    db_session: Session,
    contact: Contact,
    data: ContactEdit,
    version: int,
    actor: User,
    visible_to: Visibility,
    at: dt.datetime,
) -> Contact:
    """Apply an edit made from `version`: StaleEdit when the contact changed since, FieldError
    for a value the database refuses; the stage move (if any) is checked before any write."""
    editing.check_version(db_session, contact, KIND, version, FIELDS)
    editing.owner_for(actor, data.owner_id, contact.owner_id, KIND)
    _check_links(db_session, data, visible_to, contact.id)
    move = None
    if data.lifecycle_stage is not None and data.lifecycle_stage != contact.lifecycle_stage:
        try:
            move = check_move(contact.lifecycle_stage, data.lifecycle_stage, data.stage_reason)
        except IllegalTransition as exc:
            raise FieldError("lifecycle_stage", exc.why) from None
    values = data.model_dump(include=set(FIELDS))
    editing.update(
        db_session, record=contact, kind=KIND, values=values, version=version, actor=actor
    )
    if move is not None:
        lifecycle.move_stage(
            db_session=db_session,
            contact=contact,
            to_stage=move.to_stage,
            at=at,
            by_user_id=actor.id,
            cause="manual",
            move=move,
        )
    return contact


def delete_contact(*, db_session: Session, contact: Contact, actor: User) -> None:
    """Delete the contact (admins and sales managers), audited with its last values."""
    editing.delete(db_session, record=contact, kind=KIND, actor=actor, fields=FIELDS)
