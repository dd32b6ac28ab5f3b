"""Creating, editing and deleting an account by hand (the forms and the API)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.bounds import Count
from tandem.records import editing
from tandem.records.editing import FieldError
from tandem.records.fields import Amount, Domain, code, partial, required, text

KIND = "account"
FIELDS = (
    "name",
    "domain",
    "industry",
    "employees",
    "region",
    "country",
    "annual_revenue",
    "owner_id",
    "is_target",
    "tier",
)


class AccountFields(BaseModel):
    """An account's editable fields, as a form or an API body gives them."""

    model_config = ConfigDict(extra="forbid")

    name: required(300)
    domain: Domain = None
    industry: text(100) = None
    employees: Count | None = None
    region: text(50) = None
    country: code(2, "ISO country code") = None
    annual_revenue: Amount = None
    owner_id: editing.OwnerId = None
    is_target: bool = False
    tier: text(10) = None


AccountPatch = partial(AccountFields, "AccountPatch")


def _check(db_session: Session, data: AccountFields, account_id: int | None) -> None:
    if data.domain is not None:
        taken = select(Account.id).where(
            Account.domain == data.domain, Account.id != (account_id or 0)
        )
        if db_session.scalar(select(exists(taken))):
            raise FieldError("domain", f"another account already has {data.domain}")
    editing.check_user(db_session, "owner_id", data.owner_id)


def create_account(*, db_session: Session, data: AccountFields, actor: User) -> Account:
    """Store a new account (a rep's own unless they name no one else), audited."""
    owner = data.owner_id if data.owner_id or actor.role != Role.SALES_REP else actor.id
    data = data.model_copy(update={"owner_id": editing.owner_for(actor, owner, None, KIND)})
    _check(db_session, data, None)
    account = Account(**data.model_dump(include=set(FIELDS)))
    db_session.add(account)
    db_session.flush()
    editing.created(db_session, record=account, kind=KIND, actor=actor, fields=FIELDS)
    return account


def update_account(
    *, db_session: Session, account: Account, data: AccountFields, version: int, actor: User
) -> Account:
    """Apply an edit made from `version` (StaleEdit when the account changed since)."""
    editing.check_version(db_session, account, KIND, version, FIELDS)
    editing.owner_for(actor, data.owner_id, account.owner_id, KIND)
    _check(db_session, data, account.id)
    values = data.model_dump(include=set(FIELDS))
    editing.update(
        db_session, record=account, kind=KIND, values=values, version=version, actor=actor
    )
    return account


def delete_account(*, db_session: Session, account: Account, actor: User) -> None:
    """Delete the account (admins and sales managers), audited; its contacts and deals stay,
    without an account."""
    editing.delete(db_session, record=account, kind=KIND, actor=actor, fields=FIELDS)
