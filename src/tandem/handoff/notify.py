"""The in-app inbox: notifications are rows first; email (alone or in a digest) comes after.

Each notification may carry a unique `key`, so an event retried by a second scheduler run or
a second worker lands once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.contacts.models import Contact
from tandem.handoff.models import Notification, Subject
from tandem.handoff.schemas import InboxItem, InboxView
from tandem.sql import among, core_rows, in_param, insert_ignore, is_postgres


class Kind:
    """Notification kinds (plain strings, stored as is)."""

    NEW_LEAD = "new_lead"
    REASSIGNED_AWAY = "reassigned_away"
    SLA_REMINDER = "sla_reminder"
    SLA_BREACH = "sla_breach"


def notification(
    *,
    user_id: int,
    kind: str,
    subject: str,
    body: str,
    at: dt.datetime,
    contact_id: int | None = None,
    handoff_id: int | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """One notification as a row for `add_notifications`."""
    return {
        "user_id": user_id,
        "kind": kind,
        "subject": subject[:300],
        "body": body,
        "created_at": at,
        "contact_id": contact_id,
        "handoff_id": handoff_id,
        "key": key,
    }


def add_notifications(db_session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert notifications, skipping any whose key is already there; returns how many landed."""
    return len(insert_ignore(db_session, Notification, rows, Notification.id))


def lead_labels(db_session: Session, contact_ids: Sequence[int]) -> dict[int, str]:
    """ "Ada Lovelace (Acme)" per contact, for notification subjects."""
    query = (
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.email, Account.name)
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(in_param(Contact.id, "ids", is_postgres(db_session)))
    )
    out: dict[int, str] = {}
    ids = list(contact_ids)
    for start in range(0, len(ids), 5_000):
        for cid, first, last, email, account in core_rows(
            db_session, query, {"ids": ids[start : start + 5_000]}
        ).all():
            name = " ".join(p for p in (first, last) if p) or email
            out[cid] = f"{name} ({account})" if account else name
    return out


def handoff_labels(db_session: Session, rows: Sequence[Any]) -> dict[int, str]:
    """A label per handoff row (by id): the lead's, or "MQA: Acme" for an account subject."""
    leads = lead_labels(db_session, list({r.contact_id for r in rows if r.contact_id}))
    ids = list({r.account_id for r in rows if r.contact_id is None})
    names: dict[int, str] = {}
    if ids:
        for aid, name in db_session.execute(
            select(Account.id, Account.name).where(among(Account.id, ids, db_session))
        ):
            names[aid] = name
    return {
        r.id: leads[r.contact_id]
        if r.contact_id
        else f"{Subject.LABELS.get(r.subject, r.subject)}: {names.get(r.account_id, r.account_id)}"
        for r in rows
    }


def inbox(
    *, db_session: Session, user_id: int, limit: int = 50, unread_only: bool = False
) -> InboxView:
    """A user's newest notifications and unread count."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = db_session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).all()
    unread = db_session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return InboxView(
        unread=unread or 0,
        items=[InboxItem.model_validate(n, from_attributes=True) for n in rows],
    )


def mark_read(
    *, db_session: Session, user_id: int, at: dt.datetime, ids: Sequence[int] | None = None
) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); returns how many."""
    stmt = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    return db_session.execute(stmt.values(read_at=at)).rowcount  # type: ignore[attr-defined]
