"""What creating, editing and deleting a contact, an account or a deal have in common: the
version check (a stale edit is refused with the other person's values), the audit entry per
change, and who may write what (docs/records.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tandem.audit import service as audit
from tandem.audit.models import AuditEvent
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.errors import Conflict, Forbidden, Invalid, NotFound
from tandem.ids import BodyId

#: Who may delete a record: deleting takes its timeline, stage log and roles with it.
DELETERS = frozenset({Role.ADMIN, Role.SALES_MANAGER})


class StaleEdit(Conflict):
    """The record changed since the form was loaded: `current` holds the values now stored,
    `by` and `at` who changed it last and when (when the audit log says)."""

    def __init__(self, kind: str, current: dict[str, Any], by: str | None, at: dt.datetime | None):
        self.kind, self.current, self.by, self.at = kind, current, by, at
        who = by or "someone else"
        super().__init__(
            f"This {kind} was changed by {who} while you were editing "
            f"(now version {current.get('version')}): nothing was saved"
        )


def plain(value: Any) -> Any:
    """`value` as JSON holds it (audit entries, conflict answers)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def snapshot(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The stored values of `fields` (and the version) of `record`, JSON-ready."""
    return {name: plain(getattr(record, name)) for name in (*fields, "version")}


def last_change(
    db_session: Session, entity_type: str, entity_id: int
) -> tuple[str | None, dt.datetime | None]:
    """Who last changed the record and when, from the audit log."""
    row = db_session.execute(
        select(User.name, AuditEvent.occurred_at)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def check_version(
    db_session: Session, record: Any, kind: str, version: int, fields: tuple[str, ...]
) -> None:
    """Raise StaleEdit when `version` is not the record's stored one."""
    if record.version != version:
        by, at = last_change(db_session, kind, record.id)
        raise StaleEdit(kind, snapshot(record, fields), by, at)


def update(
    db_session: Session,
    *,
    record: Any,
    kind: str,
    values: dict[str, Any],
    version: int,
    actor: User,
) -> dict[str, Any]:
    """Write the changed `values` onto `record` if `version` is current, with one audit entry;
    returns {field: (before, after)} of what changed (nothing changed: nothing written)."""
    fields = tuple(values)
    check_version(db_session, record, kind, version, fields)
    changed = {
        name: (getattr(record, name), value)
        for name, value in values.items()
        if getattr(record, name) != value
    }
    if not changed:
        return {}
    for name, (_, value) in changed.items():
        setattr(record, name, value)
    try:
        db_session.flush()  # the version column's WHERE: a write that raced us is refused
    except StaleDataError:
        raise Conflict(f"this {kind} was changed by someone else meanwhile: reload it") from None
    before = {k: plain(b) for k, (b, _) in changed.items()}
    _audit(
        db_session,
        actor,
        kind,
        record,
        "update",
        before,
        {k: plain(a) for k, (_, a) in changed.items()},
    )
    return changed


def _audit(
    db_session: Session,
    actor: User,
    kind: str,
    record: Any,
    verb: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        db_session=db_session,
        actor_user_id=actor.id,
        action=f"{kind}.{verb}",
        entity_type=kind,
        entity_id=record.id,
        before=before,
        after=after,
    )


def created(db_session: Session, *, record: Any, kind: str, actor: User, fields: tuple[str, ...]):
    """Audit the creation of `record` (flushed) with its values."""
    _audit(db_session, actor, kind, record, "create", None, snapshot(record, fields))


def delete(
    db_session: Session, *, record: Any, kind: str, actor: User, fields: tuple[str, ...]
) -> None:
    """Delete `record` (admins and sales managers only), keeping its values in the audit log."""
    if actor.role not in DELETERS:
        raise Forbidden(f"only admins and sales managers delete a {kind}")
    _audit(db_session, actor, kind, record, "delete", snapshot(record, fields), None)
    db_session.delete(record)
    db_session.flush()


def owner_for(actor: User, owner_id: int | None, current: int | None, kind: str) -> int | None:
    """The owner a write may set: a rep may take a record or leave its owner as it is, never
    give it to someone else (managers and admins assign)."""
    if actor.role == Role.SALES_REP and owner_id not in (actor.id, current, None):
        raise Forbidden(f"a sales rep may not give a {kind} to another owner")
    return owner_id


def get_or_404(db_session: Session, model: Any, record_id: int, kind: str) -> Any:
    """The record, or NotFound naming it."""
    record = db_session.get(model, record_id)
    if record is None:
        raise NotFound(f"no {kind} {record_id}")
    return record


class FieldError(Invalid):
    """A value a form field holds that the database refuses (a duplicate, a missing link)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")
        self.message = message


def check_user(db_session: Session, field: str, user_id: int | None) -> None:
    """FieldError unless `user_id` (when given) is an active user."""
    if user_id is None:
        return
    active = db_session.scalar(select(User.is_active).where(User.id == user_id))
    if not active:
        raise FieldError(field, f"no active user {user_id}")


#: An owner named in a form or body (a user id).
OwnerId = BodyId | None
