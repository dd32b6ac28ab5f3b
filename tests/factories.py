"""Factories for test data: real rows through the ORM, with sensible defaults."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.schemas import UserCreate
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.content.models import Asset
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity, OpportunityContactRole

_seq = itertools.count(1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def user(db: Session, role: Role = Role.SALES_REP, **kw: Any) -> User:
    n = next(_seq)
    user_in = UserCreate(
        email=kw.pop("email", f"user{n}@example.com"),
        name=kw.pop("name", f"User {n}"),
        password=kw.pop("password", PASSWORD),
        role=role,
        team=kw.pop("team", None),
    )
    created = auth.create_user(db_session=db, user_in=user_in)
    db.flush()
    return created


def account(db: Session, **kw: Any) -> Account:
    n = next(_seq)
    row = Account(
        name=kw.pop("name", f"Account {n}"), domain=kw.pop("domain", f"acct{n}.example.com"), **kw
    )
    db.add(row)
    db.flush()
    return row


def contact(db: Session, **kw: Any) -> Contact:
    n = next(_seq)
    row = Contact(email=kw.pop("email", f"person{n}@example.com"), **kw)
    db.add(row)
    db.flush()
    return row


def campaign(db: Session, **kw: Any) -> Campaign:
    n = next(_seq)
    row = Campaign(
        name=kw.pop("name", f"Campaign {n}"), channel=kw.pop("channel", "paid_search"), **kw
    )
    db.add(row)
    db.flush()
    return row


def asset(db: Session, **kw: Any) -> Asset:
    n = next(_seq)
    row = Asset(
        title=kw.pop("title", f"Asset {n}"),
        type=kw.pop("type", "ebook"),
        journey_stage=kw.pop("journey_stage", "consideration"),
        **kw,
    )
    db.add(row)
    db.flush()
    return row


def activity(
    db: Session, contact_row: Contact, type: str = "web_visit", at: datetime = T0, **kw: Any
) -> Activity:
    n = next(_seq)
    row = Activity(
        contact_id=contact_row.id,
        type=type,
        occurred_at=at,
        received_at=kw.pop("received_at", at + timedelta(seconds=5)),
        idempotency_key=kw.pop("idempotency_key", f"test-{n}"),
        **kw,
    )
    db.add(row)
    db.flush()
    return row


def transition(
    db: Session, contact_row: Contact, src: str | None, dst: str, at: datetime, **kw: Any
) -> StageTransition:
    row = StageTransition(
        contact_id=contact_row.id, from_stage=src, to_stage=dst, occurred_at=at, **kw
    )
    db.add(row)
    db.flush()
    return row


def opportunity(db: Session, account_row: Account, **kw: Any) -> Opportunity:
    n = next(_seq)
    contacts = kw.pop("contacts", [])
    row = Opportunity(
        name=kw.pop("name", f"Deal {n}"),
        account_id=account_row.id,
        stage=kw.pop("stage", "discovery"),
        amount=kw.pop("amount", Decimal("10000")),
        created_at=kw.pop("created_at", T0),
        **kw,
    )
    for role_contact, role in contacts:
        row.contact_roles.append(OpportunityContactRole(contact_id=role_contact.id, role=role))
    db.add(row)
    db.flush()
    return row
